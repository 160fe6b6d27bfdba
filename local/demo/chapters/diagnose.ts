import { ok } from '../../../client/blockplane-api';
import { join } from 'node:path';
import { cli, type DemoContext } from '../demo-context';

interface ReportView {
  readonly status: string;
  readonly reason?: string;
  readonly result?: { readonly matches: readonly { readonly issueId: string; readonly title?: string }[] };
}

/** Collects a diagnostics report of this machine with the CLI, uploads it through a presigned URL and reads the diagnosis. */
export async function diagnose(demo: DemoContext): Promise<void> {
  const { story, tenant } = demo;
  story.chapter('5. Collect and diagnose a report');
  const started = Date.now();
  const { reportId, bytes } = JSON.parse(await cli(demo, 'diagnose', 'collect', '--since', '1h', '--upload', '--out', join(demo.work, 'report.tar.gz'))) as { reportId: string; bytes?: number };
  story.log(`blockplane diagnose collect --upload: report ${reportId}${bytes ? `, ${bytes} bytes` : ''}, uploaded through a presigned URL`);
  const report = await story.until(`report ${reportId} to be diagnosed`, async () => {
    const view = ok<ReportView>(await tenant.http.request('GET', `/reports/${reportId}`));
    return view.status === 'diagnosed' || view.status === 'failed' ? view : undefined;
  });
  const matches = report.result?.matches ?? [];
  for (const match of matches.slice(0, 5)) story.log(`  finding: ${match.issueId}${match.title ? ` ${match.title}` : ''}`);
  story.prove({
    chapter: 'diagnostics',
    proves: 'a report from this machine is diagnosed against the known issues',
    figures: `${report.status} in ${((Date.now() - started) / 1000).toFixed(1)} s; ${matches.length} finding(s)`,
    ok: report.status === 'diagnosed',
  });
}
