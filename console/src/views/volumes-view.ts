import { html, type TemplateResult } from 'lit-html';
import type { VolumeRow } from '../view-models';

export interface VolumesViewProps {
  readonly rows: readonly VolumeRow[];
  readonly message: string;
  readonly onCreate: (form: HTMLFormElement) => void;
  readonly onRefresh: () => void;
}

/** Volumes: the list with copies and health, and the create form. */
export function volumesView(props: VolumesViewProps): TemplateResult {
  return html`
    <h2>Volumes</h2>
    <form id="create-volume" @submit=${(event: Event) => { event.preventDefault(); props.onCreate(event.target as HTMLFormElement); }}>
      <label>Size (GiB) <input name="sizeGiB" id="create-size" value="10" inputmode="numeric" /></label>
      <label>Type <select name="type" id="create-type"><option>ssd</option><option>hdd</option></select></label>
      <label>IOPS <input name="iops" id="create-iops" value="3000" inputmode="numeric" /></label>
      <label>Location <input name="location" id="create-location" /></label>
      <button type="submit" id="create-submit">Create volume</button>
      <button type="button" id="refresh" @click=${props.onRefresh}>Refresh</button>
    </form>
    <p id="message" role="status">${props.message}</p>
    <table id="volumes">
      <thead><tr><th>Volume</th><th>Shape</th><th>Location</th><th>Status</th><th>Copies</th><th>Health</th></tr></thead>
      <tbody>
        ${props.rows.map(
          (row) => html`<tr data-volume-id=${row.volumeId}>
            <td>${row.volumeId}</td><td>${row.shape}</td><td>${row.location}</td>
            <td class="status">${row.status}</td><td class="copies">${row.copies}</td><td class="health">${row.health}</td>
          </tr>`,
        )}
      </tbody>
    </table>
    ${props.rows.length === 0 ? html`<p class="empty">No volumes yet.</p>` : ''}
  `;
}
