import type { HttpRequest } from '@smithy/types';

/**
 * The request SigV4 signs for an API call (`execute-api`): the URL split the way the signer wants
 * it, the host and, with a body, the JSON content type among the signed headers. Shared by the
 * Node client (client/signed-http.ts) and the browser console (console/src/signed-request.ts), so
 * it uses nothing but `URL`. `headers` are signed too (e.g. `content-length`, which only Node may set).
 */
export interface RequestToSign {
  readonly url: URL;
  readonly request: HttpRequest;
}

export function requestToSign(baseUrl: string, method: string, path: string, payload: string | undefined, headers: Record<string, string> = {}): RequestToSign {
  const url = new URL(baseUrl.replace(/\/$/, '') + path);
  const query: Record<string, string> = {};
  url.searchParams.forEach((value, key) => (query[key] = value));
  return {
    url,
    request: {
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      query,
      headers: { host: url.host, ...headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
      body: payload,
    },
  };
}
