import { setTimeout as sleep } from 'node:timers/promises';
import { Sha256 } from '@aws-crypto/sha256-js';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { SignatureV4 } from '@smithy/signature-v4';
import http from 'node:http';
import https from 'node:https';
import { requestToSign } from './request-to-sign';

export interface SignedResponse {
  readonly status: number;
  readonly body: unknown;
  readonly text: string;
  /** The `Retry-After` header, when the answer has one (a 429). */
  readonly retryAfter?: string;
  /** The `ETag` header, when the answer has one (`GET /specs/current`). */
  readonly etag?: string;
}

export interface SignedHttpOptions {
  readonly baseUrl: string;
  readonly region: string;
  readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Per-request limit; a long poll passes a longer one. */
  readonly timeoutMs?: number;
  /**
   * Answers 429 (a tenant over its request rate) are retried this many times after the
   * `Retry-After` the API gives (1 s when it gives none, at most 5 s), as AWS SDKs retry throttling.
   * @default 0 - the caller sees every 429
   */
  readonly throttleRetries?: number;
}

const MAX_RETRY_AFTER_MS = 5_000;

const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

/**
 * HTTP calls signed with SigV4 for API Gateway (`execute-api`), over node:http with
 * keep-alive (Node's fetch adds ~40 ms per keep-alive request against the local emulator).
 */
export class SignedHttp {
  private readonly signer: SignatureV4;

  constructor(private readonly options: SignedHttpOptions) {
    this.signer = new SignatureV4({ service: 'execute-api', region: options.region, credentials: options.credentials, sha256: Sha256 });
  }

  /** `headers`: request headers besides the signed ones (e.g. `if-none-match`), signed too. */
  async request(method: string, path: string, body?: unknown, timeoutMs = this.options.timeoutMs ?? 30_000, headers: Record<string, string> = {}): Promise<SignedResponse> {
    for (let retry = 0; ; retry++) {
      const response = await this.send(method, path, body, timeoutMs, headers);
      if (response.status !== 429 || retry >= (this.options.throttleRetries ?? 0)) return response;
      const retryAfterSeconds = Number(response.retryAfter ?? 1);
      await sleep(Math.min(MAX_RETRY_AFTER_MS, Number.isFinite(retryAfterSeconds) ? retryAfterSeconds * 1000 : 1000));
    }
  }

  private async send(method: string, path: string, body: unknown, timeoutMs: number, extraHeaders: Record<string, string>): Promise<SignedResponse> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const { url, request } = requestToSign(this.options.baseUrl, method, path, payload, {
      ...extraHeaders,
      ...(payload === undefined ? {} : { 'content-length': String(Buffer.byteLength(payload)) }),
    });
    const signed = await this.signer.sign(request);
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise<SignedResponse>((resolve, reject) => {
      const req = transport.request(
        url,
        { method, headers: signed.headers, agent: url.protocol === 'https:' ? agents.https : agents.http, timeout: timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text === '' ? undefined : JSON.parse(text);
            } catch {
              // Not JSON (an emulator or gateway error page): keep the text.
            }
            const retryAfter = res.headers['retry-after'];
            const etag = res.headers.etag;
            resolve({
              status: res.statusCode ?? 0, body: parsed, text,
              ...(typeof retryAfter === 'string' ? { retryAfter } : {}),
              ...(typeof etag === 'string' ? { etag } : {}),
            });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out after ${timeoutMs} ms`)));
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }
}
