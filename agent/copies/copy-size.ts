/**
 * The copy's size: what QEMU's root node reports, and growing it (qemu-7.2 §4). A node that has
 * an NBD export, or a mirror job, cannot be resized, so the caller removes both first; QEMU
 * would shrink a raw file without a flag, so only growth is allowed here.
 *
 * Growing allocates the new range first (`fallocate`, like the preallocation at creation: O_DIRECT
 * writes into unallocated extents are slow and may fail late with ENOSPC), while QEMU still
 * knows the old size; a disk without room fails here and the file is cut back. Then
 * `block_resize` of the root (throttle → raw → file) makes QEMU see the new size (the file
 * already has it, so QEMU's truncate changes nothing on disk).
 */
import { promises as fs } from 'node:fs';
import { CopyRuntimeStateError, InsufficientSpaceError, ShrinkRefusedError } from '../errors';
import { runCommand } from '../util/run-command';
import { CopyGraph } from './copy-graph';
import { CopyQmp } from './copy-qmp';

interface QueryNamedNodeImage {
  'node-name': string;
  image?: { 'virtual-size'?: number };
}

const FALLOCATE_TIMEOUT_MS = 600_000;

export class CopySize {
  constructor(
    private readonly q: CopyQmp,
    private readonly graph: CopyGraph,
  ) {}

  /** The size QEMU's root node has now (what a client connecting now is told). */
  async observedBytes(): Promise<number> {
    const nodes = await this.q.exec<QueryNamedNodeImage[]>('query-named-block-nodes', { flat: true });
    const size = nodes.find((node) => node['node-name'] === this.q.names.root)?.image?.['virtual-size'];
    if (size === undefined) throw new CopyRuntimeStateError('read the copy size', 'the root node reports no size', 'the copy is open');
    return size;
  }

  /**
   * Grows the copy to `sizeBytes` (no export and no mirror job may exist); the same size is a
   * no-op. `diskType` names the copy's disk in an {@link InsufficientSpaceError}.
   */
  async grow(sizeBytes: number, diskType: string): Promise<void> {
    this.graph.assertOpen('resize the copy');
    if (this.graph.isReadOnly) throw new CopyRuntimeStateError('resize the copy', 'the copy is fenced read-only', 'the copy is writable');
    const current = await this.observedBytes();
    if (sizeBytes < current) throw new ShrinkRefusedError(this.q.copy.copyId, sizeBytes, current);
    if (sizeBytes === current) return;
    await this.allocate(current, sizeBytes, diskType);
    await this.q.exec('block_resize', { 'node-name': this.q.names.root, size: sizeBytes });
    this.q.logger.info('copy grown', { fromBytes: current, toBytes: sizeBytes });
  }

  private async allocate(fromBytes: number, toBytes: number, diskType: string): Promise<void> {
    const file = this.q.copy.dataPath;
    try {
      await runCommand('fallocate', ['--offset', String(fromBytes), '--length', String(toBytes - fromBytes), file], { timeoutMs: FALLOCATE_TIMEOUT_MS });
    } catch (error) {
      // QEMU still knows the old size: cutting the file back to it loses nothing.
      await fs.truncate(file, fromBytes);
      if (/no space/i.test((error as Error).message)) throw new InsufficientSpaceError(diskType, toBytes - fromBytes, `the copy's disk: ${(error as Error).message}`);
      throw error;
    }
  }
}
