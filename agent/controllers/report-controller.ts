/**
 * The `collect-report` host command (docs/diagnostics-collector.md): collects this host's
 * report (every default collector, plus the agent's state and the storage daemon's version),
 * asks `POST /reports` for an upload URL when the command brought none, and PUTs the report
 * there. One report at a time: a second command waits for the first (each is bounded by its
 * collectors' timeouts and the upload's). Answers `{reportId, bytes, redactions}`.
 */
import type { CreateReportRequest, CreatedReport, UploadTarget } from '../../client/reports-api';
import type { CollectReportPayload } from '../commands/command-schemas';
import type { Collector } from '../diagnostics/collector';
import { FileRoot } from '../diagnostics/file-root';
import { agentStateCollector, qsdVersionCollector } from '../diagnostics/host-collectors';
import { buildReport } from '../diagnostics/report-builder';
import { DEFAULT_SINCE, parseSince } from '../diagnostics/window';
import { ReportUploadFailedError } from '../errors';
import { AgentLogger, silentLogger } from '../util/logger';

/** The part of `ReportsApi` (client/reports-api.ts) the controller uses. */
export interface ReportUploader {
  createReport(request: CreateReportRequest): Promise<CreatedReport>;
  upload(target: UploadTarget, archive: Buffer): Promise<void>;
}

export interface ReportControllerOptions {
  hostId: string;
  uploader: ReportUploader;
  /** The agent's state right now (agent-state.json). */
  agentState: () => object;
  /** @default 'qemu-storage-daemon' */
  qsdBinary?: string;
  /** @default the default collectors (collectors.ts) */
  collectors?: readonly Collector[];
  logger?: AgentLogger;
}

export interface CollectReportResult {
  reportId: string;
  bytes: number;
  redactions: number;
}

export class ReportController {
  private last: Promise<unknown> = Promise.resolve();
  private readonly logger: AgentLogger;

  constructor(private readonly options: ReportControllerOptions) {
    this.logger = (options.logger ?? silentLogger).child({ controller: 'reports' });
  }

  collectReport(payload: CollectReportPayload): Promise<CollectReportResult> {
    const run = this.last.then(() => this.collectOnce(payload));
    this.last = run.catch(() => undefined);
    return run;
  }

  private async collectOnce(payload: CollectReportPayload): Promise<CollectReportResult> {
    const now = new Date();
    const report = await buildReport({
      source: 'host',
      root: await FileRoot.open('/'),
      since: parseSince(payload.since ?? DEFAULT_SINCE, now),
      now,
      hostId: this.options.hostId,
      ...(this.options.collectors ? { collectors: this.options.collectors } : {}),
      extraCollectors: [agentStateCollector(this.options.agentState), qsdVersionCollector(this.options.qsdBinary ?? 'qemu-storage-daemon')],
    });
    const incomplete = report.manifest.collectors.filter((entry) => entry.status === 'failed' || entry.status === 'timed-out').map((entry) => entry.name);
    this.logger.info('report collected', { bytes: report.archive.length, redactions: report.manifest.redactions, incomplete });
    const target = await this.target(payload, report.archive.length);
    const logger = this.logger.child({ reportId: target.reportId });
    try {
      await this.options.uploader.upload(target, report.archive);
    } catch (error) {
      throw new ReportUploadFailedError(target.reportId, (error as Error).message, { cause: error });
    }
    logger.info('report uploaded', { bytes: report.archive.length });
    return { reportId: target.reportId, bytes: report.archive.length, redactions: report.manifest.redactions };
  }

  private async target(payload: CollectReportPayload, contentLength: number): Promise<UploadTarget & { reportId: string }> {
    if (payload.reportId !== undefined && payload.uploadUrl !== undefined && payload.uploadHeaders !== undefined) {
      return { reportId: payload.reportId, uploadUrl: payload.uploadUrl, uploadHeaders: payload.uploadHeaders };
    }
    try {
      return await this.options.uploader.createReport({ source: 'host', hostId: this.options.hostId, contentLength });
    } catch (error) {
      throw new ReportUploadFailedError(undefined, `POST /reports: ${(error as Error).message}`, { cause: error });
    }
  }
}
