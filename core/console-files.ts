import { NotFoundError } from './errors';

/** The types the console build holds; any other name is not a console file. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  json: 'application/json',
};

/** One path segment: letters, digits, dot, dash, underscore; never `..` or a leading dot. */
const FILE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

export interface ConsoleFile {
  /** The object key in the console bucket (the path under the build folder). */
  readonly key: string;
  readonly contentType: string;
}

/**
 * The console file a request names (docs/console.md, "Serving"): `file` under the build root, or
 * under `assets/` when `inAssets`. Names that could leave the build folder or have a type the
 * build never holds are not found (404), never read.
 */
export function consoleFile(file: string | undefined, inAssets: boolean): ConsoleFile {
  const name = file ?? '';
  const extension = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1).toLowerCase() : '';
  const contentType = CONTENT_TYPES[extension];
  if (!FILE_NAME.test(name) || name.includes('..') || contentType === undefined) {
    throw new NotFoundError(`no console file '${name.slice(0, 128)}'`);
  }
  return { key: inAssets ? `assets/${name}` : name, contentType };
}

/** Where `GET /console` sends the browser: relative, so it works under any stage path. */
export const CONSOLE_ENTRY = 'console/index.html';
