import { createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidRequestError } from './errors';
import type { PageKey } from './ports';

/**
 * Page tokens hand a store's position to a caller and take it back. A token is the key as
 * base64url JSON, a dot, and an HMAC-SHA256 over the tenant and that JSON with a secret only the
 * control plane knows: a token that was not issued to this tenant, or was changed in any byte,
 * is refused before the store sees it.
 */
const SEPARATOR = '.';

function macOf(payload: string, tenantId: string, secret: Uint8Array): Buffer {
  return createHmac('sha256', secret).update(tenantId).update('\n').update(payload).digest();
}

export function sealPageToken(key: PageKey, tenantId: string, secret: Uint8Array): string {
  const payload = Buffer.from(JSON.stringify(key)).toString('base64url');
  return `${payload}${SEPARATOR}${macOf(payload, tenantId, secret).toString('base64url')}`;
}

export function openPageToken(token: string, tenantId: string, secret: Uint8Array): PageKey {
  const [payload, mac, ...rest] = token.split(SEPARATOR);
  if (payload && mac && rest.length === 0) {
    const expected = macOf(payload, tenantId, secret);
    const given = Buffer.from(mac, 'base64url');
    if (given.length === expected.length && timingSafeEqual(given, expected)) {
      return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as PageKey;
    }
  }
  throw new InvalidRequestError('nextToken is not a token this API returned to this caller', { nextToken: token });
}
