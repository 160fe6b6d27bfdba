import { html, type TemplateResult } from 'lit-html';
import type { Findings } from '../view-models';

export interface ReportsViewProps {
  readonly reports: readonly { reportId: string; status: string; createdAt: string }[];
  readonly selected: string;
  readonly findings: Findings | undefined;
  readonly message: string;
  readonly onOpen: (reportId: string) => void;
}

/** The caller's diagnostic reports and, for the one opened, its findings. */
export function reportsView(props: ReportsViewProps): TemplateResult {
  return html`
    <h2>Reports and findings</h2>
    <p id="message" role="status">${props.message}</p>
    <table id="reports"><thead><tr><th>Report</th><th>Status</th><th>Created</th><th></th></tr></thead>
      <tbody>${props.reports.map((r) => html`<tr><td>${r.reportId}</td><td>${r.status}</td><td>${r.createdAt}</td>
        <td><button type="button" @click=${() => props.onOpen(r.reportId)}>Findings</button></td></tr>`)}</tbody></table>
    ${props.reports.length === 0 ? html`<p class="empty">No reports yet.</p>` : ''}
    ${props.findings
      ? html`<section id="findings"><h3>${props.selected}: ${props.findings.status}</h3>
          <ul>${props.findings.matches.map((m) => html`<li><strong>${m.severity}</strong> ${m.title} (${m.issueId}): ${m.cause}
            <ol>${m.steps.map((s) => html`<li>${s}</li>`)}</ol></li>`)}</ul>
          ${props.findings.insufficient.length ? html`<p>Not enough evidence for: ${props.findings.insufficient.join('; ')}</p>` : ''}
        </section>`
      : ''}
  `;
}
