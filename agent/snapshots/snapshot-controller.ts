/**
 * `snapshot-copy`: takes (or, after an agent restart, adopts) the snapshot point of a served
 * copy, uploads it through the control plane's presigned URLs with the copy's journal, releases
 * the point and answers the figures. It reads only the chunks changed since the payload's parent
 * when the copy's daemon kept that parent's dirty bitmap, and then answers which it read. The
 * control plane writes the manifest from the entries it was handed (docs/snapshots.md). A
 * repeated delivery of the same snapshot while it runs joins it.
 */
import * as path from 'node:path';
import type { HostApi } from '../../client/blockplane-api';
import { CHUNK_SIZE_BYTES } from '../../core/snapshots/chunk';
import type { ChunkRange } from '../../core/snapshots/chunk-ranges';
import type { SnapshotCopyPayload } from '../commands/command-schemas';
import { CopyQmp } from '../copies/copy-qmp';
import type { CopyController } from '../controllers/copy-controller';
import { assertNotStale } from '../controllers/copy-entry';
import { CopyNotServingError } from '../errors';
import { ControlPlaneChunkUrls } from './control-plane-chunk-urls';
import { SnapshotPoint, type ReadPlan } from './snapshot-point';
import { uploadSnapshot, type UploadReport } from './snapshot-uploader';
import { UploadJournal } from './upload-journal';

const QMP_TIMEOUT_MS = 10_000;

export interface SnapshotResult {
  readonly snapshotId: string;
  /** The snapshot's moment (snapshot-point.ts). */
  readonly pointAt: string;
  readonly chunks: number;
  /** Chunks read from the point's view (all of them unless the read was incremental). */
  readonly readChunks: number;
  /** After an incremental read: the parent, and the runs of chunk indexes read (every other chunk is the parent's). */
  readonly incrementalFrom?: string;
  readonly readRanges?: readonly ChunkRange[];
  readonly zeroChunks: number;
  readonly uploadedChunks: number;
  readonly uploadedBytes: number;
  readonly retries: number;
  readonly renewals: number;
}

export class SnapshotController {
  private readonly running = new Map<string, Promise<SnapshotResult>>();
  private readonly progress = new Map<string, { current: number; total: number }>();

  constructor(
    private readonly options: { copies: CopyController; api: HostApi; hostId: string },
  ) {}

  /** Figures of a running snapshot (bytes read of the view), for the command's progress reports. */
  progressOf(snapshotId: string): { current: number; total: number } | undefined {
    return this.progress.get(snapshotId);
  }

  snapshotCopy(payload: SnapshotCopyPayload): Promise<SnapshotResult> {
    const running = this.running.get(payload.snapshotId);
    if (running) return running;
    const work = this.run(payload).finally(() => {
      this.running.delete(payload.snapshotId);
      this.progress.delete(payload.snapshotId);
    });
    this.running.set(payload.snapshotId, work);
    return work;
  }

  private async run(payload: SnapshotCopyPayload): Promise<SnapshotResult> {
    const entry = this.options.copies.require(payload.copyId, payload.volumeId);
    assertNotStale(entry, payload.generation);
    const served = entry.served;
    if (!served) throw new CopyNotServingError(payload.copyId, 'take a snapshot', entry.phase);
    const q = new CopyQmp(entry.copy, served.daemon.qmp, entry.logger, QMP_TIMEOUT_MS);
    const logger = entry.logger.child({ snapshotId: payload.snapshotId });
    let point = await SnapshotPoint.adopt(q, payload.snapshotId, served.runtime, payload.parentSnapshotId);
    if (!point) {
      // Another snapshot's leftover (its command is gone): clear it before taking this one.
      await SnapshotPoint.clear(q, served.runtime);
      point = await SnapshotPoint.take(q, payload.snapshotId, served.runtime, payload.parentSnapshotId);
    }
    const journal = await UploadJournal.open(path.join(entry.copy.dir, 'snapshot-journals', `${payload.snapshotId}.journal`));
    let report: UploadReport;
    let plan: ReadPlan;
    try {
      plan = await point.readPlan(CHUNK_SIZE_BYTES);
      report = await uploadSnapshot({
        view: point.readChunks(plan, CHUNK_SIZE_BYTES),
        ranges: plan.ranges,
        sizeBytes: point.sizeBytes,
        chunkSizeBytes: CHUNK_SIZE_BYTES,
        journal,
        urls: new ControlPlaneChunkUrls(this.options.api, this.options.hostId, payload.snapshotId),
        onProgress: (progress) => this.progress.set(payload.snapshotId, { current: progress.readBytes, total: progress.totalBytes }),
      });
    } catch (error) {
      // The point stays for a redelivery or a restarted agent to adopt; the journal keeps what was sent.
      logger.warn('snapshot upload failed; the point stays in place for a retry', { error: (error as Error).message });
      throw error;
    }
    await point.release();
    await journal.remove();
    logger.info('snapshot uploaded', { chunks: report.chunks.length, readChunks: report.readChunks, incrementalFrom: plan.incrementalFrom, uploadedChunks: report.uploadedChunks, zeroChunks: report.zeroChunks, retries: report.retries, renewals: report.renewals });
    return {
      snapshotId: payload.snapshotId,
      pointAt: point.pointAt,
      chunks: report.chunks.length,
      readChunks: report.readChunks,
      ...(plan.incrementalFrom ? { incrementalFrom: plan.incrementalFrom, readRanges: plan.ranges } : {}),
      zeroChunks: report.zeroChunks,
      uploadedChunks: report.uploadedChunks,
      uploadedBytes: report.uploadedBytes,
      retries: report.retries,
      renewals: report.renewals,
    };
  }
}
