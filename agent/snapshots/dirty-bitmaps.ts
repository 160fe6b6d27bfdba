/**
 * The dirty bitmaps that let a snapshot read only what changed since its parent
 * (docs/snapshots.md, "Incremental"). Each snapshot point starts a bitmap `snapdirty-<id>` on the
 * copy's format node just before its filter goes in, so it records every write after that
 * snapshot's moment. A later snapshot whose parent's bitmap is still in this daemon merges every
 * `snapdirty-` bitmap but its own into a disabled `snapread-<id>` and exports it with the view:
 * those are the chunks to read. Each bitmap starts before its point and the merge runs after the
 * new point, so the read set holds every write between the two points (and perhaps a few later
 * ones, which only costs reads). Bitmaps on raw files cannot be persistent (QEMU refuses), so a
 * daemon restart, a promoted mirror or a moved copy has no parent bitmap: that snapshot reads
 * every chunk, as a first one does. A completed snapshot removes the bitmaps before its own.
 */
import type { CopyQmp } from '../copies/copy-qmp';

const TRACKING_PREFIX = 'snapdirty-';
const READ_PREFIX = 'snapread-';

export const trackingBitmapOf = (snapshotId: string): string => `${TRACKING_PREFIX}${snapshotId}`;
export const readBitmapOf = (snapshotId: string): string => `${READ_PREFIX}${snapshotId}`;

interface NamedNodeWithBitmaps {
  'node-name': string;
  /** Block jobs and copy-before-write keep anonymous bitmaps on the node too: those have no name. */
  'dirty-bitmaps'?: { name?: string }[];
}

export class SnapshotBitmaps {
  constructor(private readonly q: CopyQmp) {}

  /** The bitmaps on the copy's format node. */
  async names(): Promise<string[]> {
    const nodes = await this.q.exec<NamedNodeWithBitmaps[]>('query-named-block-nodes', { flat: true });
    const format = nodes.find((node) => node['node-name'] === this.q.names.format);
    return (format?.['dirty-bitmaps'] ?? []).flatMap((bitmap) => (bitmap.name ? [bitmap.name] : []));
  }

  /** Starts recording the writes after `snapshotId`'s point (called before the point is taken; kept if already there). */
  async track(snapshotId: string): Promise<void> {
    if ((await this.names()).includes(trackingBitmapOf(snapshotId))) return;
    await this.q.exec('block-dirty-bitmap-add', { node: this.q.names.format, name: trackingBitmapOf(snapshotId), persistent: false });
  }

  /**
   * The disabled bitmap of the chunks to read for `snapshotId` (taken after its point), or
   * undefined when the parent's bitmap is not in this daemon and every chunk must be read.
   */
  async prepareRead(snapshotId: string, parentSnapshotId: string): Promise<string | undefined> {
    const names = await this.names();
    const read = readBitmapOf(snapshotId);
    if (names.includes(read)) return read;
    if (!names.includes(trackingBitmapOf(parentSnapshotId))) return undefined;
    const sources = names.filter((name) => name.startsWith(TRACKING_PREFIX) && name !== trackingBitmapOf(snapshotId));
    await this.q.exec('transaction', {
      actions: [
        { type: 'block-dirty-bitmap-add', data: { node: this.q.names.format, name: read, persistent: false, disabled: true } },
        { type: 'block-dirty-bitmap-merge', data: { node: this.q.names.format, target: read, bitmaps: sources } },
      ],
    });
    return read;
  }

  /** Removes every read bitmap (the view's export must be gone: an exported bitmap is busy). */
  async dropReads(): Promise<void> {
    for (const name of await this.names()) {
      if (name.startsWith(READ_PREFIX)) await this.q.exec('block-dirty-bitmap-remove', { node: this.q.names.format, name });
    }
  }

  /** After `snapshotId` completed: only its own bitmap is needed from now on. */
  async retireBefore(snapshotId: string): Promise<void> {
    for (const name of await this.names()) {
      if (name.startsWith(TRACKING_PREFIX) && name !== trackingBitmapOf(snapshotId)) await this.q.exec('block-dirty-bitmap-remove', { node: this.q.names.format, name });
    }
  }
}
