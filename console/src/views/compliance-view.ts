import { html, type TemplateResult } from 'lit-html';

export interface ComplianceViewProps {
  readonly status: string;
  readonly url: string | undefined;
  readonly message: string;
  readonly onRequest: (days: number, format: 'json' | 'csv' | 'html') => void;
}

/** The compliance report (operators): request one for a window, watch it render, open it. */
export function complianceView(props: ComplianceViewProps): TemplateResult {
  let days = 7;
  let format: 'json' | 'csv' | 'html' = 'html';
  return html`
    <h2>Compliance report</h2>
    <p>Operators only: a customer key is answered 403.</p>
    <form id="compliance" @submit=${(event: Event) => { event.preventDefault(); props.onRequest(days, format); }}>
      <label>Last <input id="compliance-days" value="7" inputmode="numeric" @change=${(e: Event) => (days = Number((e.target as HTMLInputElement).value))} /> days</label>
      <label>Format <select id="compliance-format" @change=${(e: Event) => (format = (e.target as HTMLSelectElement).value as typeof format)}>
        <option>html</option><option>json</option><option>csv</option></select></label>
      <button type="submit" id="compliance-submit">Request report</button>
    </form>
    <p id="message" role="status">${props.message}</p>
    <p id="compliance-status">${props.status}</p>
    ${props.url ? html`<p><a id="compliance-link" href=${props.url} rel="noreferrer" target="_blank">Open the report</a></p>` : ''}
  `;
}
