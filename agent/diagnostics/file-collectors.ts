/**
 * The collectors that copy one file of the root (`/`, or the mounted root offline), as a
 * table. Each names the paths it tries in order, and where it applies: `/proc` describes the
 * live machine only, the package database is collected offline (an instance that cannot boot).
 */
import { runCapped } from './capped-command';
import { Collector, CollectContext, CollectedFile, SourceAbsentError } from './collector';

export interface FileCollectorSpec {
  readonly name: string;
  /** The file under `report/files/`. */
  readonly file: string;
  /** Paths relative to the root, tried in order. */
  readonly paths: readonly string[];
  readonly where: 'live' | 'offline' | 'both';
  readonly maxBytes?: number;
}

export function fileCollector(spec: FileCollectorSpec): Collector {
  return {
    name: spec.name,
    ...(spec.maxBytes === undefined ? {} : { maxBytes: spec.maxBytes }),
    async collect(context: CollectContext): Promise<CollectedFile[]> {
      const offline = context.source === 'offline';
      if (spec.where === 'live' && offline) throw new SourceAbsentError('describes the live machine; not collected offline');
      if (spec.where === 'offline' && !offline) throw new SourceAbsentError('collected in offline mode only');
      const reasons: string[] = [];
      for (const relative of spec.paths) {
        try {
          const file = await context.root.regularFile(relative);
          const { content, truncated } = await context.root.readHead(file, context.maxBytes);
          return [{ name: spec.file, content, truncated }];
        } catch (error) {
          if (!(error instanceof SourceAbsentError)) throw error;
          reasons.push(error.message);
        }
      }
      throw new SourceAbsentError(reasons.join('; '));
    },
  };
}

export const FILE_COLLECTORS: readonly FileCollectorSpec[] = [
  { name: 'os-release', file: 'os-release', paths: ['etc/os-release', 'usr/lib/os-release'], where: 'both' },
  { name: 'uptime', file: 'uptime.txt', paths: ['proc/uptime'], where: 'live' },
  { name: 'meminfo', file: 'meminfo.txt', paths: ['proc/meminfo'], where: 'live' },
  { name: 'mounts', file: 'mounts.txt', paths: ['proc/mounts'], where: 'live' },
  { name: 'fstab', file: 'fstab', paths: ['etc/fstab'], where: 'both' },
  { name: 'dpkg-status', file: 'dpkg-status', paths: ['var/lib/dpkg/status'], where: 'offline', maxBytes: 8 * 1024 * 1024 },
];

/** Offline: the root's rpm database as `rpm -qa` lists it (needs rpm on this machine). */
export const rpmPackagesCollector: Collector = {
  name: 'rpm-packages',
  async collect(context) {
    if (context.source !== 'offline') throw new SourceAbsentError('collected in offline mode only');
    const dbPath = (await context.root.resolve('var/lib/rpm')) ?? (await context.root.resolve('usr/lib/sysimage/rpm'));
    if (dbPath === undefined) throw new SourceAbsentError('no rpm database in the root');
    const output = await runCapped('rpm', ['-qa', '--dbpath', dbPath], { maxBytes: context.maxBytes, keep: 'head', signal: context.signal });
    return [{ name: 'rpm-packages.txt', content: output.stdout, truncated: output.truncated }];
  },
};
