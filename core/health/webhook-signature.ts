import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header a webhook POST carries: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` (docs/health.md, "Webhooks"). */
export const SIGNATURE_HEADER = 'x-blockplane-signature';

export function signWebhook(secret: string, body: string, at: Date): string {
  const t = Math.floor(at.getTime() / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

/** What a receiver runs: the signature matches the body and is at most `toleranceSeconds` old. */
export function verifyWebhook(secret: string, body: string, header: string, now: Date, toleranceSeconds = 300): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!match) return false;
  const t = Number(match[1]);
  if (Math.abs(now.getTime() / 1000 - t) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(match[2], 'hex'));
}
