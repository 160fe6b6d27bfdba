import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** A manifest as the collector writes it, for the files given. */
export function manifestFor(files: Record<string, string>, source: 'host' | 'instance' | 'offline' = 'instance') {
  return {
    formatVersion: 1,
    source,
    hostname: 'web-1',
    collectedAt: new Date().toISOString(),
    collectors: Object.keys(files).map((name) => ({ name: path.basename(name).slice(0, 64), status: 'ok', durationMs: 3, bytes: files[name].length, files: [`files/${name}`] })),
    redactions: 0,
  };
}

/**
 * Builds a report.tar.gz with the real `tar` (GNU tar, gzip) in a temporary folder: `report/`
 * with its manifest and files, then `prepare(dir)` may add what a hostile upload would hold
 * (links, huge files, paths outside); `members` are the names passed to tar (default `report`),
 * with `-P` so names with `..` are stored as given.
 */
export function buildReportTarball(
  files: Record<string, string>,
  options: { manifest?: unknown; prepare?: (dir: string) => void; members?: string[] } = {},
): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-'));
  try {
    fs.mkdirSync(path.join(dir, 'report/files/logs'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'report/manifest.json'), JSON.stringify(options.manifest ?? manifestFor(files)));
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, 'report/files', name)), { recursive: true });
      fs.writeFileSync(path.join(dir, 'report/files', name), text);
    }
    options.prepare?.(dir);
    execFileSync('tar', ['-czPf', path.join(dir, 'out.tar.gz'), ...(options.members ?? ['report'])], { cwd: dir });
    return fs.readFileSync(path.join(dir, 'out.tar.gz'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
