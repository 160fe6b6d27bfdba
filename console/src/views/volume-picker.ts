import { html, type TemplateResult } from 'lit-html';

/** The volume a per-volume page (modifications, recovery) shows. */
export function volumePicker(volumeIds: readonly string[], selected: string, onPick: (volumeId: string) => void): TemplateResult {
  return html`<label>Volume
    <select id="volume-picker" @change=${(event: Event) => onPick((event.target as HTMLSelectElement).value)}>
      <option value="" ?selected=${selected === ''}>choose a volume</option>
      ${volumeIds.map((id) => html`<option value=${id} ?selected=${id === selected}>${id}</option>`)}
    </select></label>`;
}
