/**
 * A point-in-time view of a live copy, taken without a block job so it works beside the
 * write-blocking mirror (docs/snapshots.md, "Consistency"): a `copy-before-write` filter is
 * inserted between the copy's throttle node and its raw node with `blockdev-reopen`, so from
 * that instant every client write first copies the old data of its range into a sparse
 * scratch file; a `snapshot-access` node on the filter reads the image as it was at the
 * insertion. The view is served to the agent as a read-only NBD export on the daemon's own
 * TLS-PSK server, under a key of the agent's that is in the server's access list only while the
 * point is in place; the agent reads it in order with `nbdcopy` (snapshot-view-reader.ts). Not
 * FUSE: QEMU 7.2's FUSE export of this view returned writes made after the point when they raced
 * its reader (docs/snapshots.md, "Consistency"). Client writes keep flowing through the
 * throttle and the mirror job above it, unchanged.
 *
 *     export ─► [mirror filter] ─► root (throttle) ─► cbw ─► format (raw) ─► file
 *                                                      ├─► scratch (file, sparse, old data of overwritten ranges)
 *                                     snap (snapshot-access) ─► cbw      ◄── NBD export (read-only)
 *
 * The point is named after the snapshot: an agent restarted mid-upload finds it in place and
 * reads the same instant again (`adopt`). When the parent's dirty bitmap is in this daemon, the
 * view's export also carries the bitmap of the chunks changed since the parent, and only those
 * are read (dirty-bitmaps.ts, view-ranges.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { CopyQmp } from '../copies/copy-qmp';
import type { CopyRuntime } from '../copies/copy-runtime';
import { chunkCount } from '../../core/snapshots/chunk';
import { byteExtentsOf, bytesIn, chunksIn, dirtyChunkRanges, type ChunkRange } from '../../core/snapshots/chunk-ranges';
import { toNbdsUri } from '../net/nbd-address';
import { generatePskKey, PSK_KEYS_FILE_NAME, writePskKeysFile } from '../tls/psk-keys-file';
import { SnapshotBitmaps } from './dirty-bitmaps';
import { SnapshotPointError } from './snapshot-errors';
import { readViewChunks } from './snapshot-view-reader';
import { rangeReadCommand, readDirtyMap } from './view-ranges';

interface QueryBlockExport {
  id: string;
  'node-name': string;
}

/** nbdcopy's request size for reading the view (its maximum is the NBD server's 32 MiB). */
const VIEW_REQUEST_BYTES = 16 * 1024 * 1024;

/**
 * The command that reads the NBD export at `uri` in order into a pipe (readViewChunks). Into a
 * pipe nbdcopy reads one request at a time, and over TCP to the host's own address (no quickack
 * route, qemu-7.2 §0.2) each reply waits for a delayed ACK: 16 MiB requests make that 64 waits
 * per GiB instead of 4,096 (185 s for 1 GiB with the default 256 KiB).
 */
export function viewReadCommand(uri: string): string[] {
  return ['nbdcopy', '--connections=1', `--request-size=${VIEW_REQUEST_BYTES}`, uri, '-'];
}

export interface SnapshotPointNames {
  readonly scratch: string;
  readonly cbw: string;
  readonly snap: string;
  /** The view's NBD export: its id and its name. */
  readonly viewExport: string;
}

export function snapshotPointNames(base: string): SnapshotPointNames {
  return { scratch: `${base}-sscr`, cbw: `${base}-cbw`, snap: `${base}-snap`, viewExport: `snapx-${base}` };
}

/** What of the copy's runtime the view needs: its NBD server, a place in its access list, a way into its network. */
export type SnapshotViewServer = Pick<CopyRuntime, 'nbdListenAddress' | 'addLocalKey' | 'removeLocalKey' | 'clientPrefix'>;

/** The PSK identity the agent reads a view under (in the server's access list only while a point is served). */
export const SNAPSHOT_READER_IDENTITY = 'blockplane-snapshot-reader';

/** The chunks to read from the view: all of them, or those changed since `incrementalFrom`. */
export interface ReadPlan {
  readonly ranges: readonly ChunkRange[];
  readonly incrementalFrom?: string;
}

export class SnapshotPoint {
  private constructor(
    private readonly q: CopyQmp,
    readonly snapshotId: string,
    readonly sizeBytes: number,
    private readonly server: SnapshotViewServer,
    private readonly files: { scratch: string; readerDir: string },
    /** When `blockdev-reopen` had returned (the agent's clock): every write issued after it is outside the image. */
    readonly pointAt: string,
    /** The parent whose changes `readBitmap` holds, and that bitmap (dirty-bitmaps.ts); absent when every chunk is read. */
    private readonly incremental?: { parentSnapshotId: string; readBitmap: string },
  ) {}

  private static filesOf(q: CopyQmp, snapshotId: string) {
    const dir = path.join(q.copy.dir, 'snapshots');
    return { dir, scratch: path.join(dir, `${snapshotId}.scratch`), readerDir: path.join(dir, `${snapshotId}.reader`), pointAt: path.join(dir, `${snapshotId}.point-at`) };
  }

  private static names(q: CopyQmp): SnapshotPointNames {
    return snapshotPointNames(q.names.root);
  }

  /** The copy's size as QEMU serves it. */
  private static async servedSize(q: CopyQmp): Promise<number> {
    const nodes = await q.exec<{ 'node-name': string; image: { 'virtual-size': number } }[]>('query-named-block-nodes', { flat: true });
    const format = nodes.find((node) => node['node-name'] === q.names.format);
    if (!format) throw new SnapshotPointError(`the copy's format node ${q.names.format} is not open`);
    return format.image['virtual-size'];
  }

  /**
   * Inserts the filter: the instant `blockdev-reopen` returns is the snapshot's moment. Refuses
   * if another snapshot point is in place (one at a time per copy). The snapshot's own dirty
   * bitmap starts just before; the read set since `parentSnapshotId` is taken just after.
   */
  static async take(q: CopyQmp, snapshotId: string, server: SnapshotViewServer, parentSnapshotId?: string): Promise<SnapshotPoint> {
    q.copy.assertHeld();
    const names = SnapshotPoint.names(q);
    if (await q.nodeExists(names.cbw)) throw new SnapshotPointError(`copy ${q.copy.copyId} already has a snapshot point in place`);
    const files = SnapshotPoint.filesOf(q, snapshotId);
    const sizeBytes = await SnapshotPoint.servedSize(q);
    await fs.mkdir(files.dir, { recursive: true });
    const scratch = await fs.open(files.scratch, 'w');
    await scratch.truncate(sizeBytes);
    await scratch.close();
    await q.exec('blockdev-add', { driver: 'file', 'node-name': names.scratch, filename: files.scratch });
    await q.exec('blockdev-add', { driver: 'copy-before-write', 'node-name': names.cbw, file: q.names.format, target: names.scratch });
    const bitmaps = new SnapshotBitmaps(q);
    await bitmaps.track(snapshotId);
    await q.exec('blockdev-reopen', { options: [SnapshotPoint.rootOptions(q, names.cbw)] });
    const pointAt = new Date().toISOString();
    await fs.writeFile(files.pointAt, pointAt);
    const incremental = await SnapshotPoint.incrementalOf(bitmaps, snapshotId, parentSnapshotId);
    q.logger.info('snapshot point taken', { snapshotId, sizeBytes, pointAt, incrementalFrom: incremental?.parentSnapshotId });
    const point = new SnapshotPoint(q, snapshotId, sizeBytes, server, files, pointAt, incremental);
    await point.serve();
    return point;
  }

  /** The point a previous agent left in place for `snapshotId`, or undefined when there is none (or it is another snapshot's). */
  static async adopt(q: CopyQmp, snapshotId: string, server: SnapshotViewServer, parentSnapshotId?: string): Promise<SnapshotPoint | undefined> {
    const names = SnapshotPoint.names(q);
    if (!(await q.nodeExists(names.cbw))) return undefined;
    const files = SnapshotPoint.filesOf(q, snapshotId);
    const present = await fs.stat(files.scratch).then(() => true, () => false);
    if (!present) return undefined;
    // A crash between the reopen and the note leaves none: the adoption's time is later than the point, so "issued after it" still holds.
    const pointAt = await fs.readFile(files.pointAt, 'utf8').catch(() => new Date().toISOString());
    const incremental = await SnapshotPoint.incrementalOf(new SnapshotBitmaps(q), snapshotId, parentSnapshotId);
    const point = new SnapshotPoint(q, snapshotId, await SnapshotPoint.servedSize(q), server, files, pointAt, incremental);
    await point.serve();
    q.logger.info('snapshot point adopted', { snapshotId, pointAt, incrementalFrom: incremental?.parentSnapshotId });
    return point;
  }

  private static async incrementalOf(bitmaps: SnapshotBitmaps, snapshotId: string, parentSnapshotId: string | undefined): Promise<SnapshotPoint['incremental']> {
    if (!parentSnapshotId) return undefined;
    const readBitmap = await bitmaps.prepareRead(snapshotId, parentSnapshotId);
    return readBitmap ? { parentSnapshotId, readBitmap } : undefined;
  }

  /** Removes whatever part of a point is in place (after a failure, or another snapshot's leftover). */
  static async clear(q: CopyQmp, server: SnapshotViewServer): Promise<void> {
    const names = SnapshotPoint.names(q);
    await server.removeLocalKey(SNAPSHOT_READER_IDENTITY);
    const blockExports = await q.exec<QueryBlockExport[]>('query-block-exports');
    if (blockExports.some((entry) => entry.id === names.viewExport)) await q.execQuietly('block-export-del', { id: names.viewExport, mode: 'hard' });
    await waitForExportGone(q, names.viewExport);
    // The view goes first: while snapshot-access uses the filter, the filter refuses to let the throttle node write to the raw node directly.
    if (await q.nodeExists(names.snap)) await q.exec('blockdev-del', { 'node-name': names.snap });
    if (await q.nodeExists(names.cbw)) await q.exec('blockdev-reopen', { options: [SnapshotPoint.rootOptions(q, q.names.format)] });
    for (const node of [names.cbw, names.scratch]) {
      if (await q.nodeExists(node)) await q.exec('blockdev-del', { 'node-name': node });
    }
    await new SnapshotBitmaps(q).dropReads();
    const dir = path.join(q.copy.dir, 'snapshots');
    await fs.rm(dir, { recursive: true, force: true });
  }

  /** The image as it was at the point, in order, in chunks of `chunkSizeBytes` (the last may be shorter). */
  readView(chunkSizeBytes: number): AsyncGenerator<Buffer> {
    return readViewChunks([...this.server.clientPrefix, ...viewReadCommand(this.viewUri())], this.sizeBytes, chunkSizeBytes);
  }

  /** Which chunks to read: those the read bitmap marks (whole chunks), or every chunk when there is none. */
  async readPlan(chunkSizeBytes: number): Promise<ReadPlan> {
    const count = chunkCount(this.sizeBytes, chunkSizeBytes);
    if (!this.incremental) return { ranges: [[0, count]] };
    const map = await readDirtyMap(this.server.clientPrefix, this.viewUri(), this.incremental.readBitmap);
    return { ranges: dirtyChunkRanges(map, chunkSizeBytes, count), incrementalFrom: this.incremental.parentSnapshotId };
  }

  /** The chunks of `plan` as they were at the point, in order (a plan that is not incremental reads like readView). */
  readChunks({ ranges, incrementalFrom }: ReadPlan, chunkSizeBytes: number): AsyncGenerator<Buffer> {
    if (!incrementalFrom) return this.readView(chunkSizeBytes);
    if (chunksIn(ranges) === 0) return (async function* () {})();
    const command = rangeReadCommand(this.viewUri(), byteExtentsOf(ranges, this.sizeBytes, chunkSizeBytes));
    return readViewChunks([...this.server.clientPrefix, ...command], bytesIn(ranges, this.sizeBytes, chunkSizeBytes), chunkSizeBytes);
  }

  private viewUri(): string {
    const listen = this.server.nbdListenAddress;
    if (!listen) throw new SnapshotPointError(`copy ${this.q.copy.copyId} has no NBD server to read snapshot ${this.snapshotId} through`);
    return toNbdsUri(listen, SnapshotPoint.names(this.q).viewExport, SNAPSHOT_READER_IDENTITY, path.join(this.files.readerDir, PSK_KEYS_FILE_NAME));
  }

  /** Takes the filter out again (writes stop copying old data), deletes the scratch file, and keeps only this snapshot's dirty bitmap. */
  async release(): Promise<void> {
    await SnapshotPoint.clear(this.q, this.server);
    await new SnapshotBitmaps(this.q).retireBefore(this.snapshotId);
    this.q.logger.info('snapshot point released', { snapshotId: this.snapshotId });
  }

  private async serve(): Promise<void> {
    const names = SnapshotPoint.names(this.q);
    if (!(await this.q.nodeExists(names.snap))) await this.q.exec('blockdev-add', { driver: 'snapshot-access', 'node-name': names.snap, file: names.cbw });
    // A fresh key per serving (an adopting agent does not know the last one); the client side is a keys file of its own.
    const key = generatePskKey(SNAPSHOT_READER_IDENTITY);
    await writePskKeysFile(this.files.readerDir, [key]);
    await this.server.addLocalKey(key);
    const blockExports = await this.q.exec<QueryBlockExport[]>('query-block-exports');
    if (!blockExports.some((entry) => entry.id === names.viewExport)) {
      const bitmaps = this.incremental ? { bitmaps: [{ node: this.q.names.format, name: this.incremental.readBitmap }] } : {};
      await this.q.exec('block-export-add', { type: 'nbd', id: names.viewExport, 'node-name': names.snap, name: names.viewExport, writable: false, ...bitmaps });
    }
  }

  /** The throttle node's complete option set (blockdev-reopen needs every option), over `child`. */
  private static rootOptions(q: CopyQmp, child: string): Record<string, unknown> {
    return { driver: 'throttle', 'node-name': q.names.root, 'throttle-group': q.names.throttleGroup, file: child, 'read-only': false };
  }
}

/** Bounded wait for QEMU to finish deleting an export (it drains requests first). */
async function waitForExportGone(q: CopyQmp, id: string): Promise<void> {
  for (let attempt = 0; attempt < 250; attempt++) {
    const blockExports = await q.exec<QueryBlockExport[]>('query-block-exports');
    if (!blockExports.some((entry) => entry.id === id)) return;
    await sleep(20);
  }
  throw new SnapshotPointError(`export ${id} was still there after 5 s`);
}

