import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * Invokes a Lambda function synchronously through the Lambda API at AWS_ENDPOINT_URL (signed
 * with the environment's credentials), for tests that run a scheduled function on demand.
 */
export async function invokeFunction(functionName: string, payload: unknown): Promise<unknown> {
  const endpoint = process.env.AWS_ENDPOINT_URL;
  if (!endpoint) throw new Error('AWS_ENDPOINT_URL is not set');
  const url = new URL(`${endpoint.replace(/\/$/, '')}/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`);
  const body = JSON.stringify(payload);
  const signer = new SignatureV4({
    service: 'lambda',
    region: process.env.AWS_REGION ?? 'us-east-1',
    credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'test', secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'test' },
    sha256: Sha256,
  });
  const signed = await signer.sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    path: url.pathname,
    headers: { host: url.host, 'content-type': 'application/json' },
    body,
  });
  const response = await fetch(url, { method: 'POST', headers: signed.headers, body });
  const text = await response.text();
  if (!response.ok || response.headers.get('x-amz-function-error')) throw new Error(`invoking ${functionName} answered ${response.status}: ${text}`);
  return JSON.parse(text);
}
