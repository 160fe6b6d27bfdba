import { html, type TemplateResult } from 'lit-html';
import type { ModificationRow } from '../view-models';
import { volumePicker } from './volume-picker';

/** Modifications of one volume, newest first, with their progress. */
export function modificationsView(volumeIds: readonly string[], selected: string, rows: readonly ModificationRow[], message: string, onPick: (id: string) => void): TemplateResult {
  return html`
    <h2>Modifications</h2>
    ${volumePicker(volumeIds, selected, onPick)}
    <p id="message" role="status">${message}</p>
    <table id="modifications">
      <thead><tr><th>Modification</th><th>Change</th><th>Status</th><th>Progress</th><th>ETA</th></tr></thead>
      <tbody>
        ${rows.map((row) => html`<tr data-modification-id=${row.modificationId}>
          <td>${row.modificationId}</td><td>${row.change}</td><td>${row.status}</td>
          <td><progress max="100" .value=${row.progressPercent}></progress> ${row.progressPercent} %</td><td>${row.eta}</td>
        </tr>`)}
      </tbody>
    </table>
    ${selected !== '' && rows.length === 0 ? html`<p class="empty">No modifications of this volume.</p>` : ''}
  `;
}
