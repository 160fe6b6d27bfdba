import { html, type TemplateResult } from 'lit-html';
import type { EventRows } from '../view-models';

/** The caller's health events and the notices it was sent. */
export function eventsView(rows: EventRows | undefined, message: string): TemplateResult {
  return html`
    <h2>Events and notices</h2>
    <p id="message" role="status">${message}</p>
    <h3>Events</h3>
    <table id="events"><thead><tr><th>Event</th><th>Summary</th><th>Status</th><th>Level</th></tr></thead>
      <tbody>${(rows?.events ?? []).map((e) => html`<tr><td>${e.eventId}</td><td>${e.summary}</td><td>${e.status}</td><td>${e.level}</td></tr>`)}</tbody></table>
    ${rows && rows.events.length === 0 ? html`<p class="empty">No events.</p>` : ''}
    <h3>Notices</h3>
    <table id="notices"><thead><tr><th>Notice</th><th>Volume</th><th>Summary</th><th>Recommended action</th></tr></thead>
      <tbody>${(rows?.notices ?? []).map((n) => html`<tr><td>${n.noticeId}</td><td>${n.volumeId}</td><td>${n.summary}</td><td>${n.action}</td></tr>`)}</tbody></table>
    ${rows && rows.notices.length === 0 ? html`<p class="empty">No notices.</p>` : ''}
  `;
}
