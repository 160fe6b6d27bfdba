import { PutWebhookRequestSchema } from '../../../../core/health/health-requests';

/** The webhook URL a tenant may set: https to a public host, or http to loopback; anything else is a 400, never a 500. */
test.each([
  ['', false],
  ['not a url', false],
  ['ftp://example.com/hook', false],
  ['http://example.com/hook', false],
  ['https://10.0.0.5/hook', false],
  ['https://user:pw@example.com/hook', false],
  ['http://127.0.0.1:8080/hook', true],
  ['https://hooks.example.com/blockplane', true],
])('url %j is accepted: %s', (url, accepted) => {
  expect(PutWebhookRequestSchema.safeParse({ url }).success).toBe(accepted);
});
