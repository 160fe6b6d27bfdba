/** Reads a report.tar.gz back with GNU tar, as a test would on the processing side. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ReportManifest } from '../../../agent/diagnostics/report-manifest';

export interface UnpackedReport {
  /** `tar -tv` lines: type character and path. */
  entries: { type: string; path: string; size: number }[];
  manifest: ReportManifest;
  files: Map<string, Buffer>;
  /** Every file's bytes, concatenated (to search for what must not be there). */
  everything: string;
}

export function unpackReport(archive: Buffer): UnpackedReport {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bp-report-'));
  try {
    const file = path.join(dir, 'report.tar.gz');
    writeFileSync(file, archive);
    const listing = execFileSync('tar', ['-tvzf', file], { encoding: 'utf8' }).trim().split('\n');
    const entries = listing.map((line) => {
      const fields = line.split(/\s+/);
      return { type: line[0], size: Number(fields[2]), path: fields[fields.length - 1] };
    });
    const out = path.join(dir, 'x');
    execFileSync('mkdir', [out]);
    execFileSync('tar', ['-xzf', file, '-C', out]);
    const files = new Map<string, Buffer>();
    for (const entry of entries) if (entry.type === '-') files.set(entry.path, readFileSync(path.join(out, entry.path)));
    const manifest = JSON.parse(files.get('report/manifest.json')!.toString('utf8')) as ReportManifest;
    return { entries, manifest, files, everything: [...files.values()].map((content) => content.toString('utf8')).join('\n') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
