import { createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidRequestError } from './errors';
import type { PageKey } from './ports';

/**
 * Page tokens hand a store's position to a caller and take it back. A token is the key as
 * base64url JSON, a dot, and an HMAC-SHA256 over the tenant, the listing and that JSON with a
 * secret only the control plane knows: a token that was not issued to this tenant for this very
 * listing (the same route, path and filters; the page size may change), or was changed in any
 * byte, is refused before the store sees it. A position in one listing is not a valid start key
 * of another (another index or partition), so the store would refuse it with a server error.
 */
const SEPARATOR = '.';

/** Whose listing a token continues: the tenant, and a name for the listing with its filters. */
export interface PageScope {
  readonly tenantId: string;
  readonly listing: string;
}

function macOf(payload: string, scope: PageScope, secret: Uint8Array): Buffer {
  return createHmac('sha256', secret).update(JSON.stringify([scope.tenantId, scope.listing])).update('\n').update(payload).digest();
}

export function sealPageToken(key: PageKey, scope: PageScope, secret: Uint8Array): string {
  const payload = Buffer.from(JSON.stringify(key)).toString('base64url');
  return `${payload}${SEPARATOR}${macOf(payload, scope, secret).toString('base64url')}`;
}

export function openPageToken(token: string, scope: PageScope, secret: Uint8Array): PageKey {
  const [payload, mac, ...rest] = token.split(SEPARATOR);
  if (payload && mac && rest.length === 0) {
    const expected = macOf(payload, scope, secret);
    const given = Buffer.from(mac, 'base64url');
    if (given.length === expected.length && timingSafeEqual(given, expected)) {
      return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as PageKey;
    }
  }
  throw new InvalidRequestError('nextToken is not a token this API returned to this caller for this listing', { nextToken: token });
}
