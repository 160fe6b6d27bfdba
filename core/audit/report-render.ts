import type { ComplianceReport } from './report-content';
import type { ReportFormat } from './report-request';

/** The report as a file: its bytes and content type. */
export interface RenderedReport {
  readonly body: string;
  readonly contentType: string;
}

export function renderReport(report: ComplianceReport, format: ReportFormat): RenderedReport {
  switch (format) {
    case 'json':
      return { body: JSON.stringify(report, null, 2), contentType: 'application/json' };
    case 'csv':
      return { body: renderCsv(report), contentType: 'text/csv; charset=utf-8' };
    case 'html':
      return { body: renderHtml(report), contentType: 'text/html; charset=utf-8' };
    default:
      throw new Error(`unknown report format ${JSON.stringify(format)}`);
  }
}

export const CSV_COLUMNS = ['clauseId', 'severity', 'verdict', 'componentType', 'componentId', 'state', 'drift', 'specVersion', 'observed', 'expected', 'at', 'waivedUntil'] as const;

/** One row per (clause, component); a clause without components is one row with empty component columns. */
function renderCsv(report: ComplianceReport): string {
  const rows: string[][] = [[...CSV_COLUMNS]];
  for (const { clause, verdict, statuses } of report.clauses) {
    if (statuses.length === 0) rows.push([clause.id, clause.severity, verdict, clause.componentType, '', '', '', '', '', '', '', '']);
    for (const status of statuses) {
      rows.push([
        clause.id, clause.severity, verdict, status.componentType, status.componentId, status.state, String(status.drift),
        status.specVersion === undefined ? '' : String(status.specVersion),
        status.observed === undefined ? '' : typeof status.observed === 'string' ? status.observed : JSON.stringify(status.observed),
        status.expected ?? '', status.at ?? '', status.waiver?.until ?? '',
      ]);
    }
  }
  return rows.map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** RFC 4180 quoting; a leading =+-@ is prefixed with ' so a spreadsheet never runs it as a formula. */
function csvCell(value: string): string {
  const safe = /^[=+\-@]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

const COLOURS = { compliant: '#1f8f3a', failing: '#c62828', silent: '#e09a00', unknown: '#7a7a7a' } as const;

const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** The spec itself, one section per clause coloured by its verdict, listing components that are not PASS. */
function renderHtml(report: ComplianceReport): string {
  const sections = report.clauses.map(({ clause, verdict, counts, statuses }) => {
    const findings = statuses.filter((status) => status.state !== 'PASS' || status.drift);
    const rows = findings
      .map(
        (status) =>
          `<tr class="finding" data-component-id="${escapeHtml(status.componentId)}" data-state="${status.state}">` +
          `<td>${escapeHtml(status.componentId)}</td><td>${status.state}${status.drift ? ' (drift)' : ''}</td>` +
          `<td class="observed">${escapeHtml(status.observed === undefined ? '—' : JSON.stringify(status.observed))}</td>` +
          `<td>${escapeHtml(status.expected ?? '—')}</td><td>${escapeHtml(status.at ?? 'never')}</td>` +
          `<td>${status.specVersion ?? '—'}</td><td>${status.waiver ? escapeHtml(`until ${status.waiver.until}: ${status.waiver.reason}`) : ''}</td></tr>`,
      )
      .join('');
    return (
      `<section class="clause ${verdict}" data-clause-id="${escapeHtml(clause.id)}" data-verdict="${verdict}" style="border-left: 8px solid ${COLOURS[verdict]}">` +
      `<h2>${escapeHtml(clause.id)} <span class="verdict" style="background:${COLOURS[verdict]}">${verdict}</span></h2>` +
      `<p class="title">${escapeHtml(clause.title)}</p>` +
      `<p class="meta">${escapeHtml(clause.componentType)} · ${clause.severity} · ${escapeHtml(clause.property)} · ` +
      `<code>${escapeHtml(JSON.stringify(clause.check))}</code> · due every ${clause.deadlineSeconds} s</p>` +
      `<p class="rationale">${escapeHtml(clause.rationale)}</p>` +
      `<p class="counts">PASS ${counts.PASS} · FAIL ${counts.FAIL} · SILENT ${counts.SILENT} · WAIVED ${counts.WAIVED}</p>` +
      (rows ? `<table><thead><tr><th>component</th><th>state</th><th>observed</th><th>expected</th><th>at</th><th>spec</th><th>waiver</th></tr></thead><tbody>${rows}</tbody></table>` : '') +
      `</section>`
    );
  });
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Blockplane compliance report ${escapeHtml(report.reportId)}</title>` +
    `<style>body{font-family:sans-serif;margin:2em}section.clause{padding:.5em 1em;margin:1em 0;background:#fafafa}` +
    `.verdict{color:#fff;padding:0 .4em;border-radius:3px;font-size:.7em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;font-size:.85em}</style></head>` +
    `<body><h1>Compliance with spec version ${report.specVersion}</h1>` +
    `<p id="window">from ${escapeHtml(report.from)} to ${escapeHtml(report.to)}, generated ${escapeHtml(report.generatedAt)}</p>` +
    `<p id="legend">${Object.entries(COLOURS).map(([name, colour]) => `<span style="color:${colour}">■ ${name}</span>`).join(' ')}</p>` +
    sections.join('') +
    `</body></html>`
  );
}
