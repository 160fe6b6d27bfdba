import { HELP_PAGE_HTML } from '../help-box/page';
import { httpHandler } from '../shared/http-handler';

/** GET /help: the help box page, static; every call it makes is signed by the customer's key. */
export const handler = httpHandler(async () => ({
  statusCode: 200,
  headers: {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
  },
  body: HELP_PAGE_HTML,
}));
