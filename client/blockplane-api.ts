import type { SignedHttp, SignedResponse } from './signed-http';

export interface VolumeView {
  readonly volumeId: string;
  readonly sizeGiB: number;
  readonly type: 'hdd' | 'ssd';
  readonly iops: number;
  readonly location: string;
  readonly status: string;
  readonly statusReason?: string;
  readonly copies: readonly { copyId: string; hostId: string; role: 'primary' | 'mirror' | 'filling' | 'retiring' }[];
  readonly generation: number;
  /** The snapshot a restored volume was created from, and how far its copies' fill is (100 once created). */
  readonly snapshotId?: string;
  readonly restoreProgressPercent?: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** How a client connects to a volume: `POST /volumes/{id}/attachments` (201) and `GET …/attachments/{attachmentId}`. */
export interface AttachmentView {
  readonly attachmentId: string;
  readonly volumeId: string;
  readonly generation: number;
  readonly hostId: string;
  /** The primary copy's export; after a fail-over, GET names the new primary. */
  readonly nbd: { readonly address: string; readonly port: number; readonly exportName: string };
  /** The volume's client key (one volume only). */
  readonly tls: { readonly type: 'psk'; readonly identity: string; readonly keyHex: string };
}

/** `DELETE /volumes/{id}/attachments/{attachmentId}` (200). */
export interface DetachView {
  readonly volumeId: string;
  readonly attachmentId: string;
  readonly status: string;
}

export interface HostCommandView {
  readonly commandId: string;
  readonly type: string;
  readonly payload: Record<string, unknown>;
  readonly createdAt: string;
}

/** A non-2xx answer, with the API's `{code, message}` when it sent one. */
export class ApiError extends Error {
  constructor(readonly response: SignedResponse) {
    const body = response.body as { code?: string; message?: string } | undefined;
    super(`HTTP ${response.status} ${body?.code ?? ''}: ${body?.message ?? response.text}`.trim());
    this.name = 'ApiError';
  }
}

export function ok<T>(response: SignedResponse): T {
  if (response.status < 200 || response.status > 299) throw new ApiError(response);
  return response.body as T;
}

/** The customer routes. */
export class VolumeApi {
  constructor(readonly http: SignedHttp) {}

  create(request: Record<string, unknown>): Promise<SignedResponse> {
    return this.http.request('POST', '/volumes', request);
  }
  get(volumeId: string): Promise<SignedResponse> {
    return this.http.request('GET', `/volumes/${encodeURIComponent(volumeId)}`);
  }
  list(query: Record<string, string> = {}): Promise<SignedResponse> {
    const qs = new URLSearchParams(query).toString();
    return this.http.request('GET', `/volumes${qs ? `?${qs}` : ''}`);
  }
  delete(volumeId: string): Promise<SignedResponse> {
    return this.http.request('DELETE', `/volumes/${encodeURIComponent(volumeId)}`);
  }
  /** `POST /volumes/{id}/utilization` `{usedGiB}` → 200 `{volumeId, utilization: {usedGiB, percent, reportedAt}}`: the mounted filesystem's use. */
  reportUtilization(volumeId: string, usedGiB: number): Promise<SignedResponse> {
    return this.http.request('POST', `/volumes/${encodeURIComponent(volumeId)}/utilization`, { usedGiB });
  }
  /** `POST /volumes/{id}/attachments` → 201 {@link AttachmentView}; the volume becomes in-use. */
  attach(volumeId: string): Promise<SignedResponse> {
    return this.http.request('POST', `/volumes/${encodeURIComponent(volumeId)}/attachments`);
  }
  /** `GET /volumes/{id}/attachments/{attachmentId}` → 200 {@link AttachmentView} naming the current primary. */
  getAttachment(volumeId: string, attachmentId: string): Promise<SignedResponse> {
    return this.http.request('GET', `/volumes/${encodeURIComponent(volumeId)}/attachments/${encodeURIComponent(attachmentId)}`);
  }
  /** `DELETE /volumes/{id}/attachments/{attachmentId}` → 200 {@link DetachView}. */
  detach(volumeId: string, attachmentId: string): Promise<SignedResponse> {
    return this.http.request('DELETE', `/volumes/${encodeURIComponent(volumeId)}/attachments/${encodeURIComponent(attachmentId)}`);
  }
}

/** The storage-host routes. */
export class HostApi {
  constructor(readonly http: SignedHttp) {}

  register(request: Record<string, unknown>): Promise<SignedResponse> {
    return this.http.request('POST', '/hosts', request);
  }
  heartbeat(hostId: string, request: Record<string, unknown>): Promise<SignedResponse> {
    return this.http.request('POST', `/hosts/${encodeURIComponent(hostId)}/heartbeat`, request);
  }
  pollCommands(hostId: string, waitSeconds: number): Promise<SignedResponse> {
    return this.http.request('GET', `/hosts/${encodeURIComponent(hostId)}/commands?wait=${waitSeconds}`, undefined, (waitSeconds + 10) * 1000);
  }
  postResult(hostId: string, commandId: string, result: Record<string, unknown>): Promise<SignedResponse> {
    return this.http.request('POST', `/hosts/${encodeURIComponent(hostId)}/commands/${encodeURIComponent(commandId)}/result`, result);
  }
  reportReplicaFault(hostId: string, request: Record<string, unknown>, timeoutMs?: number): Promise<SignedResponse> {
    return this.http.request('POST', `/hosts/${encodeURIComponent(hostId)}/replica-faults`, request, timeoutMs);
  }
  /** A batch of a snapshot's chunk entries for presigned PUTs, or digests for presigned GETs (docs/snapshots.md). */
  requestSnapshotChunkUrls(hostId: string, request: Record<string, unknown>): Promise<SignedResponse> {
    return this.http.request('POST', `/hosts/${encodeURIComponent(hostId)}/snapshot-chunks`, request);
  }
  /** A running command's progress (`{current?, total?}`; docs/host-commands.md). */
  postProgress(hostId: string, commandId: string, progress: { current?: number; total?: number }): Promise<SignedResponse> {
    return this.http.request('POST', `/hosts/${encodeURIComponent(hostId)}/commands/${encodeURIComponent(commandId)}/progress`, progress);
  }
}
