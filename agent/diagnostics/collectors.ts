/** Every collector a report runs by default, in manifest order (docs/diagnostics-collector.md). */
import type { Collector } from './collector';
import { COMMAND_COLLECTORS, commandCollector } from './command-collectors';
import { FILE_COLLECTORS, fileCollector, rpmPackagesCollector } from './file-collectors';
import { LOG_COLLECTORS } from './log-collectors';
import { blkidCollector, lsblkCollector } from './block-device-collectors';

export function defaultCollectors(): Collector[] {
  return [...COMMAND_COLLECTORS.map(commandCollector), lsblkCollector, blkidCollector, ...FILE_COLLECTORS.map(fileCollector), rpmPackagesCollector, ...LOG_COLLECTORS];
}
