import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { signedRequest } from '../../../console/src/signed-request';

const settings = {
  apiUrl: 'http://127.0.0.1:4572/restapis/abc/v1/_user_request_/',
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret/example+key' },
};
const at = new Date('2026-12-02T13:00:00Z');

/** What the gateway computes: the signature of the same request, host included, by the SDK's own signer. */
async function expectedAuthorization(method: string, path: string, headers: Record<string, string>, body?: string, sessionToken?: string): Promise<string> {
  const url = new URL(settings.apiUrl.replace(/\/$/, '') + path);
  const signer = new SignatureV4({ service: 'execute-api', region: settings.region, credentials: { ...settings.credentials, ...(sessionToken ? { sessionToken } : {}) }, sha256: Sha256 });
  const query: Record<string, string> = {};
  url.searchParams.forEach((value, key) => (query[key] = value));
  const signed = await signer.sign(
    { method, protocol: url.protocol, hostname: url.hostname, port: Number(url.port), path: url.pathname, query, headers: { host: url.host, ...headers }, body },
    { signingDate: at },
  );
  return signed.headers.authorization;
}

describe('signedRequest', () => {
  test('when a GET is signed, it carries a SigV4 authorization for execute-api that the gateway recomputes, and no host header', async () => {
    // Act
    const request = await signedRequest(settings, 'GET', '/volumes?limit=5', undefined, at);

    // Assess
    expect(request.url).toBe('http://127.0.0.1:4572/restapis/abc/v1/_user_request_/volumes?limit=5');
    expect(request.body).toBeUndefined();
    expect(Object.keys(request.headers).map((h) => h.toLowerCase())).not.toContain('host');
    expect(request.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE\/20261202\/us-east-1\/execute-api\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/);
    expect(request.headers.authorization).toBe(await expectedAuthorization('GET', '/volumes?limit=5', {}));
    expect(request.headers['x-amz-date']).toBe('20261202T130000Z');
  });

  test('when a POST is signed, its JSON body (its hash) and content type are signed too', async () => {
    // Act
    const body = { sizeGiB: 10, type: 'ssd', iops: 3000, location: 'here' };
    const request = await signedRequest(settings, 'POST', '/volumes', body, at);

    // Assess
    expect(request.body).toBe(JSON.stringify(body));
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers.authorization).toContain('SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date');
    expect(request.headers.authorization).toBe(await expectedAuthorization('POST', '/volumes', { 'content-type': 'application/json' }, JSON.stringify(body)));
  });

  test('when the body changes after signing, the signature no longer matches', async () => {
    const request = await signedRequest(settings, 'POST', '/volumes', { sizeGiB: 10 }, at);
    expect(request.headers.authorization).not.toBe(await expectedAuthorization('POST', '/volumes', { 'content-type': 'application/json' }, JSON.stringify({ sizeGiB: 11 })));
  });

  test('when there is a session token, it is sent and signed; the secret never appears in the request', async () => {
    // Act
    const request = await signedRequest({ ...settings, credentials: { ...settings.credentials, sessionToken: 'token-1' } }, 'GET', '/events', undefined, at);

    // Assess
    expect(request.headers['x-amz-security-token']).toBe('token-1');
    expect(request.headers.authorization).toContain('SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token');
    expect(JSON.stringify(request)).not.toContain(settings.credentials.secretAccessKey);
  });
});
