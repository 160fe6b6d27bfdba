import { html, type TemplateResult } from 'lit-html';
import type { RecoverySummary } from '../view-models';
import { volumePicker } from './volume-picker';

/** A volume's recovery: each returning copy's verdict, the decisions taken and the owner's choices. */
export function recoveryView(volumeIds: readonly string[], selected: string, summary: RecoverySummary | undefined, message: string, onPick: (id: string) => void): TemplateResult {
  return html`
    <h2>Recovery decisions</h2>
    ${volumePicker(volumeIds, selected, onPick)}
    <p id="message" role="status">${message}</p>
    ${summary
      ? html`<section id="recovery">
          <p>State: <strong>${summary.state}</strong></p>
          <table><thead><tr><th>Copy</th><th>Host</th><th>Verdict</th><th>Readable</th></tr></thead>
            <tbody>${summary.copies.map((c) => html`<tr><td>${c.copyId}</td><td>${c.hostId}</td><td>${c.verdict}</td><td>${c.readable ? 'yes' : 'no'}</td></tr>`)}</tbody></table>
          <h3>Decisions</h3>
          <ul>${summary.decisions.map((d) => html`<li>${d}</li>`)}</ul>
          <p>Choices open to the owner: ${summary.choices.join(', ') || 'none'}</p>
        </section>`
      : ''}
  `;
}
