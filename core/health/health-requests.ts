import { z } from 'zod';
import { COMPONENT_ID_PATTERN, COMPONENT_KINDS } from './topology';
import { NOTICE_ID_PATTERN } from './health-event';
import { HEALTH_LEVELS } from './health-level';

export const ComponentIdSchema = z.string().regex(COMPONENT_ID_PATTERN, 'component ids look like host:<id>, disk:<host>.<device>, rack:<zone>.<rack> or zone:<zone>');

/** `GET /health/components?kind=&level=` (operators). */
export const ListComponentsQuerySchema = z.strictObject({
  kind: z.enum(COMPONENT_KINDS).optional(),
  level: z.enum(HEALTH_LEVELS).optional(),
});

/** `GET /health/dead-letters?limit=` (operators). */
export const ListDeadLettersQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(100),
});

/** `POST /health/dead-letters/redrive {noticeId}` (operators): a body, as notice ids hold `#`. */
export const RedriveNoticeRequestSchema = z.strictObject({
  noticeId: z.string().regex(NOTICE_ID_PATTERN, 'notice ids look like evt-<20 hex>#vol-<17 hex>#IMPAIRED|UNIMPAIRED|UNKNOWN|RESOLVED'),
});

/** `GET /events?status=`. */
export const ListEventsQuerySchema = z.strictObject({
  status: z.enum(['open', 'closed']).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

/**
 * `PUT /settings/webhook`: where notices are POSTed. HTTPS, or plain HTTP to this machine's
 * loopback for local development; never a literal private, link-local or metadata address.
 */
export const PutWebhookRequestSchema = z.strictObject({
  url: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .refine((raw) => {
      // zod runs this even when the url check above failed; an unparsable url is simply refused.
      if (!URL.canParse(raw)) return false;
      const url = new URL(raw);
      const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost';
      if (url.protocol === 'http:') return loopback;
      return !/^(10\.|127\.|169\.254\.|172\.(1[6-9]|2\d|3[01])\.|192\.168\.|\[)/.test(url.hostname) && url.username === '' && url.password === '';
    }, { message: 'url must be https:// to a public host (http:// only to 127.0.0.1 or localhost), without credentials' }),
});
