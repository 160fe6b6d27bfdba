/**
 * `blockplane diagnose collect [--since 24h] [--offline ROOT_MOUNT] [--out FILE] [--upload]`:
 * collects a diagnostics report of this Linux machine, or, with `--offline`, of a root volume
 * mounted here (an instance that cannot boot), writes it as a tar.gz, and with `--upload` asks
 * the API for an upload URL and PUTs it there (docs/diagnostics-collector.md). Prints a JSON
 * summary on stdout; exit status 2 for a usage error, 3 for something this machine lacks, 1 for
 * a failure.
 */
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { promises as fs } from 'node:fs';
import { parseArgs } from 'node:util';
import { FileRoot, FileRootError } from '../agent/diagnostics/file-root';
import { buildReport } from '../agent/diagnostics/report-builder';
import { DEFAULT_SINCE, InvalidWindowError, parseSince } from '../agent/diagnostics/window';
import { loadApiEndpoint } from '../client/deployment';
import { ReportsApi } from '../client/reports-api';
import { SignedHttp } from '../client/signed-http';

export const DIAGNOSE_USAGE = `Diagnostics (docs/diagnostics-collector.md):
  diagnose collect [--since 24h] [--offline ROOT_MOUNT] [--out FILE] [--upload] [--description TEXT]
      Collects a report of this machine (or of the root volume mounted at ROOT_MOUNT) into FILE
      (default ./blockplane-report-<time>.tar.gz); --upload sends it to the API and prints its id.`;

const MAX_DESCRIPTION = 1_000;

/** A mistake in the command line: exit status 2. */
class DiagnoseUsageError extends Error {}
/** Something this machine lacks (the mounted root, the deployment's outputs): exit status 3. */
class DiagnosePreconditionError extends Error {}

const say = (line: string) => process.stderr.write(`blockplane: ${line}\n`);

/** Runs `diagnose <args>`; returns the exit status. */
export async function diagnoseMain(args: string[]): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(DIAGNOSE_USAGE + '\n');
    return 0;
  }
  try {
    if (args[0] !== 'collect') throw new DiagnoseUsageError(`unknown command: diagnose ${args[0] ?? ''}`.trim());
    await collect(args.slice(1));
    return 0;
  } catch (error) {
    if (error instanceof DiagnoseUsageError || error instanceof InvalidWindowError) {
      process.stderr.write(`blockplane: error: ${error.message}\n${DIAGNOSE_USAGE}\n`);
      return 2;
    }
    process.stderr.write(`blockplane: error: ${(error as Error)?.message ?? String(error)}\n`);
    return error instanceof FileRootError || error instanceof DiagnosePreconditionError ? 3 : 1;
  }
}

async function collect(args: string[]): Promise<void> {
  let values;
  try {
    values = parseArgs({
      args,
      options: {
        since: { type: 'string' },
        offline: { type: 'string' },
        out: { type: 'string' },
        upload: { type: 'boolean' },
        description: { type: 'string' },
        outputs: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new DiagnoseUsageError((error as Error).message);
  }
  const now = new Date();
  const since = parseSince(values.since ?? DEFAULT_SINCE, now);
  if (values.description !== undefined && values.description.length > MAX_DESCRIPTION) {
    throw new DiagnoseUsageError(`--description is at most ${MAX_DESCRIPTION} characters, got ${values.description.length}`);
  }
  const source = values.offline === undefined ? 'instance' : 'offline';
  const root = await FileRoot.open(values.offline ?? '/');
  const api = values.upload ? reportsApi(values.outputs) : undefined;

  say(source === 'offline' ? `collecting the root mounted at ${root.root}` : 'collecting this machine');
  const report = await buildReport({ source, root, since, now });
  const out = values.out ?? `blockplane-report-${now.toISOString().replace(/[:.]/g, '-')}.tar.gz`;
  await fs.writeFile(out, report.archive, { mode: 0o600 });
  const incomplete = report.manifest.collectors.filter((entry) => entry.status === 'failed' || entry.status === 'timed-out');
  for (const entry of incomplete) say(`${entry.name}: ${entry.status} (${entry.error ?? ''})`);
  say(`wrote ${out} (${report.archive.length} bytes, ${report.manifest.redactions} secrets redacted)`);

  let reportId: string | undefined;
  if (api) {
    const created = await api.createReport({ source, contentLength: report.archive.length, ...(values.description ? { description: values.description } : {}) });
    await api.upload(created, report.archive);
    reportId = created.reportId;
    say(`uploaded as report ${reportId}`);
  }
  process.stdout.write(
    JSON.stringify(
      {
        file: out,
        bytes: report.archive.length,
        redactions: report.manifest.redactions,
        collectors: Object.fromEntries(report.manifest.collectors.map((entry) => [entry.name, entry.status])),
        ...(reportId ? { reportId } : {}),
      },
      null,
      2,
    ) + '\n',
  );
}

function reportsApi(outputs: string | undefined): ReportsApi {
  let deployment;
  try {
    deployment = loadApiEndpoint(outputs);
  } catch (error) {
    throw new DiagnosePreconditionError(`cannot read the deployment outputs (${outputs ?? process.env.BLOCKPLANE_OUTPUTS ?? 'local/.state/outputs.json'}): ${(error as Error).message}. Pass --outputs FILE or set BLOCKPLANE_OUTPUTS.`);
  }
  return new ReportsApi(new SignedHttp({ baseUrl: deployment.baseUrl, region: deployment.region, credentials: defaultProvider() }));
}
