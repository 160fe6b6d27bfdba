/**
 * The resync bitmap (`bp-resync`, qemu-7.2 §9.3): every mirror starts with a fresh
 * non-persistent dirty bitmap (64 KiB granularity) on the format node, added *before* the job,
 * so once the job is READY the bitmap covers every write the replica could miss, including
 * writes made between the target's failure and its detection. It is not rotated: it grows with
 * every region written since the mirror started. Raw files cannot keep bitmaps (§5.3), so it
 * is lost with the daemon. Only the incremental resync (replica-resync.ts) reads it.
 */
import { MirrorSyncFailedError } from '../errors';
import { CopyQmp, QueryNamedNode } from './copy-qmp';

export const RESYNC_BITMAP = 'bp-resync';
const RESYNC_GRANULARITY_BYTES = 65_536;

export class ResyncBitmap {
  /** The bitmap exists and was added before the current/last mirror job started. */
  private armed = false;
  /** The bitmap covers every write since the replica was last known in sync. */
  private valid = false;

  constructor(private readonly q: CopyQmp) {}

  get isValid(): boolean {
    return this.valid;
  }

  /** The mirror job reached READY: a bitmap added before it now covers every missed write. */
  onMirrorReady(): void {
    if (this.armed) this.valid = true;
  }

  /** The replica failed before READY: the bitmap does not cover what it misses. */
  invalidate(): void {
    this.valid = false;
  }

  /** After a failed resync: the bitmap still covers what the replica misses, as long as it exists. */
  keepIfArmed(): void {
    this.valid = this.armed;
  }

  /** Replaces the bitmap with an empty one; call only while no writes can be missed by it. */
  async reset(): Promise<void> {
    const { names } = this.q;
    this.valid = false;
    this.armed = false;
    await this.q.execQuietly('block-dirty-bitmap-remove', { node: names.format, name: RESYNC_BITMAP });
    await this.q.exec('block-dirty-bitmap-add', { node: names.format, name: RESYNC_BITMAP, granularity: RESYNC_GRANULARITY_BYTES, persistent: false });
    this.armed = true;
  }

  /** Bytes marked dirty (64 KiB granularity). */
  async count(): Promise<number> {
    const { names } = this.q;
    const nodes = await this.q.exec<Array<QueryNamedNode & { 'dirty-bitmaps'?: Array<{ name?: string; count: number }> }>>('query-named-block-nodes', {
      flat: true,
    });
    const bitmap = nodes.find((node) => node['node-name'] === names.format)?.['dirty-bitmaps']?.find((entry) => entry.name === RESYNC_BITMAP);
    if (!bitmap) throw new MirrorSyncFailedError(names.resyncJob, `resync bitmap ${RESYNC_BITMAP} is missing`);
    return bitmap.count;
  }
}
