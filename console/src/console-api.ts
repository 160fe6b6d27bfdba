import type {
  ComplianceReport, EventList, ModificationPage, Recovery, Report, ReportList, SnapshotPage, Volume, VolumeHealth, VolumePage,
} from './api-types';
import { type ConsoleSettings, signedRequest } from './signed-request';

/** An answer: its status and, on success, its body; on failure the API's message. */
export type Answer<T> = { readonly ok: true; readonly status: number; readonly body: T } | { readonly ok: false; readonly status: number; readonly message: string };

export type Fetch = (url: string, init: { method: string; headers: Record<string, string>; body?: string }) => Promise<{ status: number; text(): Promise<string> }>;

/**
 * Answers a read is sent again for, as AWS SDKs retry them: throttling and a gateway that got no
 * answer from its function in time. A write is never sent again (a create could be made twice).
 */
const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);
/** Pauses before each resend of a read: 3 sends in all, within 1.5 s. */
const READ_RESEND_DELAYS_MS: readonly number[] = [500, 1000];

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The API routes the console calls (docs/console.md, "Pages"), each signed. */
export class ConsoleApi {
  constructor(
    private readonly settings: ConsoleSettings,
    private readonly fetcher: Fetch,
    private readonly pause: (ms: number) => Promise<void> = wait,
  ) {}

  listVolumes = () => this.call<VolumePage>('GET', '/volumes');
  getVolume = (volumeId: string) => this.call<Volume>('GET', `/volumes/${encodeURIComponent(volumeId)}`);
  createVolume = (request: { sizeGiB: number; type: string; iops: number; location: string }) => this.call<Volume>('POST', '/volumes', request);
  volumeHealth = (volumeId: string) => this.call<VolumeHealth>('GET', `/volumes/${encodeURIComponent(volumeId)}/health`);
  listModifications = (volumeId: string) => this.call<ModificationPage>('GET', `/volumes/${encodeURIComponent(volumeId)}/modifications`);
  listSnapshots = () => this.call<SnapshotPage>('GET', '/snapshots');
  getRecovery = (volumeId: string) => this.call<Recovery>('GET', `/volumes/${encodeURIComponent(volumeId)}/recovery`);
  listEvents = () => this.call<EventList>('GET', '/events');
  listReports = () => this.call<ReportList>('GET', '/reports');
  getReport = (reportId: string) => this.call<Report>('GET', `/reports/${encodeURIComponent(reportId)}`);
  createComplianceReport = (request: { scope: Record<string, never>; from: string; to: string; format: 'json' | 'csv' | 'html' }) =>
    this.call<ComplianceReport>('POST', '/compliance-reports', request);
  getComplianceReport = (reportId: string) => this.call<ComplianceReport>('GET', `/compliance-reports/${encodeURIComponent(reportId)}`);

  private async call<T>(method: string, path: string, body?: unknown): Promise<Answer<T>> {
    const delays = method === 'GET' ? READ_RESEND_DELAYS_MS : [];
    for (let resend = 0; ; resend++) {
      const answer = await this.send<T>(method, path, body);
      if (answer.ok || !TRANSIENT_STATUSES.has(answer.status) || resend >= delays.length) return answer;
      await this.pause(delays[resend]);
    }
  }

  /** One signed send (signed again each time: a signature is dated). */
  private async send<T>(method: string, path: string, body?: unknown): Promise<Answer<T>> {
    const request = await signedRequest(this.settings, method, path, body);
    const response = await this.fetcher(request.url, { method: request.method, headers: request.headers, ...(request.body === undefined ? {} : { body: request.body }) });
    const text = await response.text();
    const parsed = parseJson(text);
    if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status, body: parsed as T };
    const message = typeof parsed === 'object' && parsed !== null && 'message' in parsed ? String((parsed as { message: unknown }).message) : text.slice(0, 200);
    return { ok: false, status: response.status, message };
  }
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return text;
  }
}
