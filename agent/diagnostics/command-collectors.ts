/**
 * The collectors that run a command on the live machine, as a table: they differ only in the
 * command and the file name (docs/diagnostics-collector.md lists them). In offline mode they
 * are `absent`: their output would describe the machine running the collector, not the
 * mounted root.
 */
import { runCapped } from './capped-command';
import { Collector, CollectContext, CollectedFile, SourceAbsentError } from './collector';

export interface CommandSource {
  /** The file under `report/files/`. */
  readonly file: string;
  readonly command: readonly [string, ...string[]];
}

export interface CommandCollectorSpec {
  readonly name: string;
  /** Tried in order: the first that is installed gives the file (`chronyc`, else `timedatectl`). */
  readonly sources: readonly CommandSource[];
  /** @default 'head' - logs keep their tail */
  readonly keep?: 'head' | 'tail';
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
}

export function commandCollector(spec: CommandCollectorSpec): Collector {
  return {
    name: spec.name,
    ...(spec.timeoutMs === undefined ? {} : { timeoutMs: spec.timeoutMs }),
    ...(spec.maxBytes === undefined ? {} : { maxBytes: spec.maxBytes }),
    async collect(context: CollectContext): Promise<CollectedFile[]> {
      if (context.source === 'offline') throw new SourceAbsentError('describes the live machine; not collected offline');
      const reasons: string[] = [];
      for (const source of spec.sources) {
        const [file, ...args] = source.command;
        try {
          const output = await runCapped(file, args, { maxBytes: context.maxBytes, keep: spec.keep ?? 'head', signal: context.signal });
          return [{ name: source.file, content: output.stdout, truncated: output.truncated }];
        } catch (error) {
          if (!(error instanceof SourceAbsentError)) throw error;
          reasons.push(error.message);
        }
      }
      throw new SourceAbsentError(reasons.join('; '));
    },
  };
}

const single = (name: string, file: string, ...command: [string, ...string[]]): CommandCollectorSpec => ({ name, sources: [{ file, command }] });

export const COMMAND_COLLECTORS: readonly CommandCollectorSpec[] = [
  single('uname', 'uname.txt', 'uname', '-a'),
  single('df', 'df.txt', 'df', '-P', '-k'),
  single('df-inodes', 'df-inodes.txt', 'df', '-P', '-i'),
  single('free', 'free.txt', 'free', '-k'),
  single('ps', 'ps.txt', 'ps', '-eo', 'pid,ppid,stat,rss,vsz,etime,comm'),
  single('lsmod', 'lsmod.txt', 'lsmod'),
  single('nvme-list', 'nvme-list.json', 'nvme', 'list', '-o', 'json'),
  { ...single('sar', 'sar.txt', 'sar', '-A'), keep: 'tail' },
  { ...single('sysctl', 'sysctl.txt', 'sysctl', '-a'), timeoutMs: 15_000 },
  {
    name: 'time-sync',
    sources: [
      { file: 'chrony.txt', command: ['chronyc', 'tracking'] },
      { file: 'timedatectl.txt', command: ['timedatectl'] },
    ],
  },
];
