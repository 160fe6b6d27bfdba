/**
 * The copy's block graph: file (O_DIRECT, aio=native) → format (raw) → root (throttle, group
 * tg-…), and its read-only reopen for fencing (§7: the file descriptor becomes O_RDONLY, so no
 * writable export can be added).
 */
import { CopyRuntimeStateError } from '../errors';
import { CopyQmp } from './copy-qmp';
import { buildThrottleLimits } from './throttle-limits';

export class CopyGraph {
  private graphOpen = false;
  private readOnly = false;

  constructor(private readonly q: CopyQmp) {}

  get isReadOnly(): boolean {
    return this.readOnly;
  }

  /** Adds the throttle group and the file → raw → throttle nodes. */
  async open(options: { readOnly?: boolean } = {}): Promise<void> {
    this.q.copy.assertHeld();
    if (this.graphOpen) throw new CopyRuntimeStateError('open the copy', 'it is open', 'it is closed');
    const readOnly = options.readOnly ?? false;
    await this.q.exec('object-add', {
      'qom-type': 'throttle-group',
      id: this.q.names.throttleGroup,
      limits: buildThrottleLimits({ iopsTotal: this.q.copy.metadata.iops }),
    });
    for (const nodeOptions of this.nodeOptions(readOnly)) {
      await this.q.exec('blockdev-add', nodeOptions);
    }
    this.graphOpen = true;
    this.readOnly = readOnly;
    this.q.logger.info('copy graph open', { readOnly, iops: this.q.copy.metadata.iops });
  }

  /** Reopens file, raw and throttle nodes read-only (top first) or read-write (bottom first). */
  async reopen(readOnly: boolean): Promise<void> {
    if (this.readOnly === readOnly) return;
    const options = this.nodeOptions(readOnly);
    await this.q.exec('blockdev-reopen', { options: readOnly ? options.reverse() : options });
    this.readOnly = readOnly;
  }

  assertOpen(operation: string): void {
    this.q.copy.assertHeld();
    if (!this.graphOpen) throw new CopyRuntimeStateError(operation, 'the copy is not open', 'the copy is open');
  }

  private nodeOptions(readOnly: boolean): Record<string, unknown>[] {
    const { names } = this.q;
    return [
      {
        driver: 'file',
        'node-name': names.file,
        filename: this.q.copy.dataPath,
        cache: { direct: true, 'no-flush': false },
        aio: 'native',
        'read-only': readOnly,
      },
      { driver: 'raw', 'node-name': names.format, file: names.file, 'read-only': readOnly },
      { driver: 'throttle', 'node-name': names.root, 'throttle-group': names.throttleGroup, file: names.format, 'read-only': readOnly },
    ];
  }
}
