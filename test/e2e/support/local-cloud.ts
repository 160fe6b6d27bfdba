import { SignedHttp } from '../../../client/signed-http';
import { HostApi, ok, VolumeApi, type VolumeView } from '../../../client/blockplane-api';
import { loadDeployment, type Deployment } from '../../../client/deployment';
import { loadLocalIdentities, type Identity } from '../../../local/identities';

export const deployment: Deployment = loadDeployment();
export const identities = loadLocalIdentities();

/**
 * A signed client as `identity`. Tests retry throttled calls (429) like an SDK would, so the
 * per-tenant rate limit shapes their pace instead of failing them; `throttleRetries: 0` sees
 * every 429 (the flood test).
 */
export function httpAs(identity: Identity, options: { throttleRetries?: number } = {}): SignedHttp {
  return new SignedHttp({
    baseUrl: deployment.baseUrl,
    region: deployment.region,
    credentials: { accessKeyId: identity.accessKeyId, secretAccessKey: identity.secretAccessKey },
    throttleRetries: options.throttleRetries ?? 5,
  });
}

export const volumesAs = (tenant: string, options: { throttleRetries?: number } = {}) => new VolumeApi(httpAs(identities.tenants[tenant], options));
export const hostApiAs = (host: string) => new HostApi(httpAs(identities.hosts[host]));

/** Polls `probe` until it returns a value, at most `timeoutMs`; never a fixed sleep. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The volume once it is `available` or `error` (created, or refused by its hosts), within five minutes. */
export const volumeSettled = (tenant: VolumeApi, volumeId: string): Promise<VolumeView> =>
  eventually(
    async () => {
      const volume = ok<VolumeView>(await tenant.get(volumeId));
      return ['available', 'error'].includes(volume.status) ? volume : undefined;
    },
    300_000,
    `volume ${volumeId} to settle`,
    500,
  );
