/**
 * The logs of the window: the kernel ring buffer (`dmesg -T`, or `journalctl -k`), the journal
 * (`journalctl --since`; offline: the root's journal files, read with `--file`), and the
 * classic files `/var/log/{syslog,messages,kern.log}` (their tail, lines in the window). Each
 * keeps its newest part when it is over its cap.
 */
import { runCapped } from './capped-command';
import { Collector, CollectContext, CollectedFile, SourceAbsentError } from './collector';
import { linesInWindow } from './log-window';
import { journalSince } from './window';

const LOG_MAX_BYTES = 8 * 1024 * 1024;
const JOURNAL_TIMEOUT_MS = 20_000;

export const dmesgCollector: Collector = {
  name: 'dmesg',
  maxBytes: LOG_MAX_BYTES,
  async collect(context) {
    if (context.source === 'offline') throw new SourceAbsentError('the kernel ring buffer of the live machine; offline, see logs/kern.log and the journal');
    const options = { maxBytes: context.maxBytes, keep: 'tail' as const, signal: context.signal };
    try {
      const output = await runCapped('dmesg', ['-T'], options);
      return [{ name: 'dmesg.txt', content: output.stdout, truncated: output.truncated }];
    } catch (dmesgError) {
      try {
        const output = await runCapped('journalctl', ['-k', '--no-pager', '-o', 'short-iso', '--since', journalSince(context.since)], options);
        return [{ name: 'dmesg.txt', content: output.stdout, truncated: output.truncated }];
      } catch (journalError) {
        if (dmesgError instanceof SourceAbsentError && journalError instanceof SourceAbsentError) throw dmesgError;
        throw new Error(`dmesg: ${(dmesgError as Error).message}; journalctl -k: ${(journalError as Error).message}`);
      }
    }
  },
};

export const journalCollector: Collector = {
  name: 'journal',
  maxBytes: LOG_MAX_BYTES,
  timeoutMs: JOURNAL_TIMEOUT_MS,
  async collect(context) {
    const window = ['--no-pager', '-o', 'short-iso', '--since', journalSince(context.since)];
    let args: string[];
    if (context.source === 'offline') {
      const files = await offlineJournalFiles(context);
      if (files.length === 0) throw new SourceAbsentError('no journal files under var/log/journal in the root');
      args = [...files.flatMap((file) => ['--file', file]), ...window];
    } else {
      args = window;
    }
    const output = await runCapped('journalctl', args, { maxBytes: context.maxBytes, keep: 'tail', signal: context.signal });
    return [{ name: 'journal.txt', content: output.stdout, truncated: output.truncated }];
  },
};

/** The root's regular journal files (`var/log/journal/<machine-id>/*.journal`), never links. */
async function offlineJournalFiles(context: CollectContext): Promise<string[]> {
  const dirs = await context.root.directoriesIn('var/log/journal');
  const files: string[] = [];
  for (const dir of dirs) {
    for (const file of await context.root.regularFilesIn(dir)) {
      if (file.hostPath.endsWith('.journal') || file.hostPath.endsWith('.journal~')) files.push(file.hostPath);
    }
  }
  return files;
}

/** `/var/log/<name>` of the live machine or the root, as `logs/<name>`. */
export function logFileCollector(name: string): Collector {
  return {
    name: `logs-${name}`,
    maxBytes: LOG_MAX_BYTES,
    async collect(context): Promise<CollectedFile[]> {
      const file = await context.root.regularFile(`var/log/${name}`);
      const tail = await context.root.readTail(file, context.maxBytes);
      const text = linesInWindow(tail.content.toString('utf8'), context.since, context.now, tail.truncated);
      return [{ name: `logs/${name}`, content: Buffer.from(text, 'utf8'), truncated: tail.truncated }];
    },
  };
}

export const LOG_COLLECTORS: readonly Collector[] = [dmesgCollector, journalCollector, ...['syslog', 'messages', 'kern.log'].map(logFileCollector)];
