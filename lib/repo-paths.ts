import * as fs from 'node:fs';
import * as path from 'node:path';

/** The repository root: bundling, the lock file and the ASL files are resolved from here. */
export const REPO_ROOT = path.resolve(__dirname, '..');

/** Absolute path of a file given relative to the repository root; throws when it does not exist. */
export function repoFile(relativePath: string, what: string): string {
  if (path.isAbsolute(relativePath)) {
    throw new Error(`${what} must be a path relative to the repository root; received '${relativePath}'`);
  }
  const absolute = path.join(REPO_ROOT, relativePath);
  if (!fs.existsSync(absolute)) {
    throw new Error(`${what} '${relativePath}' does not exist under ${REPO_ROOT}; expected an existing file`);
  }
  return absolute;
}
