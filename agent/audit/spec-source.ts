/**
 * The clauses this host enforces: `GET /specs/current?componentTypes=storage-host,volume-copy`
 * polled with `If-None-Match`, so an unchanged spec costs a 304 and no body.
 */
import type { AuditHostApi } from '../../client/audit-api';
import type { SpecVersion } from '../../core/audit/spec';
import { HOST_COMPONENT_TYPES } from '../../core/audit/use-cases/record-assertions';
import { ControlPlaneRequestError } from '../errors';

export class SpecSource {
  private etag: string | undefined;
  private spec: SpecVersion | undefined;

  /** `hold`: keep the first version fetched (a host held back during a spec rollout; it shows as drift). */
  constructor(
    private readonly api: Pick<AuditHostApi, 'currentSpec'>,
    private readonly hold = false,
  ) {}

  /** The version in force: refreshed when the control plane has a newer one, kept otherwise. */
  async current(): Promise<SpecVersion | undefined> {
    if (this.hold && this.spec) return this.spec;
    const response = await this.api.currentSpec(HOST_COMPONENT_TYPES, this.etag);
    if (response.status === 304) return this.spec;
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw new ControlPlaneRequestError('GET /specs/current', response.status, response.text.slice(0, 300));
    this.spec = response.body as SpecVersion;
    this.etag = response.etag;
    return this.spec;
  }

  /** The version last fetched (what the assertions name), without asking. */
  get known(): SpecVersion | undefined {
    return this.spec;
  }
}
