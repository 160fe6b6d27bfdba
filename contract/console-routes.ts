import { z } from 'zod';
import { responseSchemas } from './responses';
import type { ApiRoute } from './routes';

const ConsoleFileSchema = z.string().register(responseSchemas, { id: 'ConsoleFile', description: 'One file of the console build (HTML, script or style)' });
const ConsoleRedirectSchema = z.string().register(responseSchemas, { id: 'ConsoleRedirect', description: 'Empty; Location is console/index.html' });
/** One path segment of the build: letters, digits, dot, dash, underscore. */
const FileName = z.string().regex(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/);

/** The console's static files (docs/console.md, "Serving"): unsigned, since they hold no data; the calls the console makes are signed. */
export const CONSOLE_ROUTES: readonly ApiRoute[] = [
  {
    operationId: 'GetConsole', method: 'get', path: '/console', caller: 'customer', unsigned: true,
    summary: 'The console: redirects (302) to console/index.html',
    success: { status: 302, description: 'To the console page', schema: ConsoleRedirectSchema, contentType: 'text/plain' },
    errors: [],
  },
  {
    operationId: 'GetConsoleFile', method: 'get', path: '/console/{file}', caller: 'customer', unsigned: true,
    summary: "One of the console's top-level files (index.html); any other name is 404",
    pathParameters: { file: FileName },
    success: { status: 200, description: 'The file', schema: ConsoleFileSchema, contentType: 'text/html' },
    errors: [404],
  },
  {
    operationId: 'GetConsoleAsset', method: 'get', path: '/console/assets/{file}', caller: 'customer', unsigned: true,
    summary: "One of the console's scripts or styles (named by content hash); any other name is 404",
    pathParameters: { file: FileName },
    success: { status: 200, description: 'The file', schema: ConsoleFileSchema, contentType: 'text/javascript' },
    errors: [404],
  },
];
