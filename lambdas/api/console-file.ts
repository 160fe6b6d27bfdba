import type { APIGatewayProxyResult } from 'aws-lambda';
import { CONSOLE_ENTRY, consoleFile } from '../../core/console-files';
import { consoleFiles } from '../shared/console-composition';
import { httpHandler } from '../shared/http-handler';

const files = consoleFiles();

/** The console's pages may load only their own scripts and styles and call only this API. */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/**
 * GET /console, /console/{file}, /console/assets/{file}: the console's static build, read from
 * its bucket. The files hold no data; every call the console makes is SigV4-signed.
 */
export const handler = httpHandler(async (event): Promise<APIGatewayProxyResult> => {
  if (event.resource === '/console') {
    return { statusCode: 302, headers: { location: CONSOLE_ENTRY, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, body: '' };
  }
  const file = consoleFile(event.pathParameters?.file, event.resource.startsWith('/console/assets/'));
  const body = await files.read(file.key);
  // Vite names every asset by its content hash; only index.html keeps its name between builds.
  const cacheControl = file.key.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-store';
  return { statusCode: 200, headers: { 'content-type': file.contentType, 'cache-control': cacheControl, ...SECURITY_HEADERS }, body };
});
