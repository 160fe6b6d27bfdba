import { Command, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { promises as fs } from 'node:fs';
import { FileRoot } from '../agent/diagnostics/file-root';
import { buildReport } from '../agent/diagnostics/report-builder';
import { DEFAULT_SINCE, parseSince } from '../agent/diagnostics/window';
import { ReportsApi } from '../client/reports-api';
import { UsageError } from './errors';
import { print } from './output';
import { byteProgressFor } from './progress';
import { say, type Session } from './session';

/**
 * `diagnose collect` (docs/diagnostics-collector.md): collects a diagnostics report of this Linux
 * machine, or, with `--offline`, of a root volume mounted here (an instance that cannot boot),
 * writes it as a tar.gz, and with `--upload` asks the API for an upload URL and PUTs it there.
 */
const MAX_DESCRIPTION = 1_000;

interface CollectOptions {
  readonly since?: string;
  readonly offline?: string;
  readonly out?: string;
  readonly upload?: boolean;
  readonly description?: string;
}

async function collect(session: Session, options: CollectOptions): Promise<void> {
  const now = new Date();
  const since = parseSince(options.since ?? DEFAULT_SINCE, now);
  if (options.description !== undefined && options.description.length > MAX_DESCRIPTION) {
    throw new UsageError(`--description is at most ${MAX_DESCRIPTION} characters, got ${options.description.length}`);
  }
  const source = options.offline === undefined ? 'instance' : 'offline';
  const root = await FileRoot.open(options.offline ?? '/');
  const api = options.upload ? new ReportsApi(session.http()) : undefined;

  say(source === 'offline' ? `collecting the root mounted at ${root.root}` : 'collecting this machine');
  const report = await buildReport({ source, root, since, now });
  const out = options.out ?? `blockplane-report-${now.toISOString().replace(/[:.]/g, '-')}.tar.gz`;
  await fs.writeFile(out, report.archive, { mode: 0o600 });
  const incomplete = report.manifest.collectors.filter((entry) => entry.status === 'failed' || entry.status === 'timed-out');
  for (const entry of incomplete) say(`${entry.name}: ${entry.status} (${entry.error ?? ''})`);
  say(`wrote ${out} (${report.archive.length} bytes, ${report.manifest.redactions} secrets redacted)`);

  let reportId: string | undefined;
  if (api) {
    const created = await api.createReport({ source, contentLength: report.archive.length, ...(options.description ? { description: options.description } : {}) });
    const progress = byteProgressFor('upload', report.archive.length, session.showProgress);
    try {
      await api.upload(created, report.archive, (sent) => progress.sent(sent));
    } finally {
      progress.stop();
    }
    reportId = created.reportId;
    say(`uploaded as report ${reportId}`);
  }
  print(
    {
      file: out,
      bytes: report.archive.length,
      redactions: report.manifest.redactions,
      collectors: Object.fromEntries(report.manifest.collectors.map((entry) => [entry.name, entry.status])),
      ...(reportId ? { reportId } : {}),
    },
    session.options.output,
  );
}

export function diagnoseCommand(session: () => Session): CommandUnknownOpts {
  const diagnose = new Command('diagnose').description('Diagnostics reports of this machine (docs/diagnostics-collector.md)');
  diagnose
    .command('collect')
    .description(
      'Collects a report of this machine (or of the root volume mounted at --offline) into --out ' +
        '(default ./blockplane-report-<time>.tar.gz); --upload sends it to the API (POST /reports) and prints its id',
    )
    .option('--since <window>', `how far back logs go, e.g. 24h, 90m, 7d (default ${DEFAULT_SINCE})`)
    .option('--offline <rootMount>', 'collect the root volume mounted here instead of this machine')
    .option('--out <file>', 'where the report goes')
    .option('--upload', 'upload it through a presigned URL')
    .option('--description <text>', `what you saw (at most ${MAX_DESCRIPTION} characters)`)
    .action(async (options) => collect(session(), options));
  return diagnose as unknown as CommandUnknownOpts;
}
