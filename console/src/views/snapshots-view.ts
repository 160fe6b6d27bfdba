import { html, type TemplateResult } from 'lit-html';
import type { SnapshotRow } from '../view-models';

/** The caller's snapshots, newest first. */
export function snapshotsView(rows: readonly SnapshotRow[], message: string): TemplateResult {
  return html`
    <h2>Snapshots</h2>
    <p id="message" role="status">${message}</p>
    <table id="snapshots">
      <thead><tr><th>Snapshot</th><th>Volume</th><th>Status</th><th>Progress</th><th>Stored</th></tr></thead>
      <tbody>
        ${rows.map((row) => html`<tr data-snapshot-id=${row.snapshotId}>
          <td>${row.snapshotId}</td><td>${row.volumeId}</td><td>${row.status}</td>
          <td><progress max="100" .value=${row.progressPercent}></progress> ${row.progressPercent} %</td><td>${row.stored}</td>
        </tr>`)}
      </tbody>
    </table>
    ${rows.length === 0 ? html`<p class="empty">No snapshots yet.</p>` : ''}
  `;
}
