import type { SignedHttp, SignedResponse } from './signed-http';

export interface VolumeView {
  readonly volumeId: string;
  readonly sizeGiB: number;
  readonly type: 'hdd' | 'ssd';
  readonly iops: number;
  readonly location: string;
  readonly status: string;
  readonly statusReason?: string;
  readonly copies: readonly { copyId: string; hostId: string; role: 'primary' | 'mirror' }[];
  readonly generation: number;
  readonly createdAt: string;
  readonly updatedAt: string;
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
}
