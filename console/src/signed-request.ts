import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { requestToSign } from '../../client/request-to-sign';

/** What the user pastes on the sign-in form; kept in the tab's sessionStorage only. */
export interface ConsoleCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Temporary credentials only. */
  readonly sessionToken?: string;
}

export interface ConsoleSettings {
  /** The API's stage URL (the page's own, by default), without a trailing slash. */
  readonly apiUrl: string;
  readonly region: string;
  readonly credentials: ConsoleCredentials;
}

/** A request ready for `fetch`: every header but `host` (the browser sets that one itself). */
export interface SignedRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

/**
 * `method path` against the API, signed with SigV4 for `execute-api` as the gateway checks it
 * (docs/console.md, "Signing"): host, content type and body hash signed; the session token sent
 * and signed when there is one.
 */
export async function signedRequest(settings: ConsoleSettings, method: string, path: string, body?: unknown, signingDate = new Date()): Promise<SignedRequest> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const { url, request } = requestToSign(settings.apiUrl, method, path, payload);
  const { accessKeyId, secretAccessKey, sessionToken } = settings.credentials;
  const signer = new SignatureV4({
    service: 'execute-api',
    region: settings.region,
    credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) },
    sha256: Sha256,
  });
  const signed = await signer.sign(request, { signingDate });
  const headers = Object.fromEntries(Object.entries(signed.headers).filter(([name]) => name.toLowerCase() !== 'host'));
  return { url: url.toString(), method, headers, ...(payload === undefined ? {} : { body: payload }) };
}
