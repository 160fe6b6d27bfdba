import type { SignedHttp, SignedResponse } from './signed-http';

/** The audit routes a storage host calls (docs/audit.md): the current spec (with ETag) and assertion batches. */
export class AuditHostApi {
  constructor(readonly http: SignedHttp) {}

  /** `GET /specs/current?componentTypes=…`, 304 when `etag` is still current. */
  currentSpec(componentTypes: readonly string[], etag?: string): Promise<SignedResponse> {
    return this.http.request('GET', `/specs/current?componentTypes=${componentTypes.map(encodeURIComponent).join(',')}`, undefined, undefined, etag ? { 'if-none-match': etag } : {});
  }

  postAssertions(assertions: readonly unknown[]): Promise<SignedResponse> {
    return this.http.request('POST', '/assertions', { assertions });
  }
}
