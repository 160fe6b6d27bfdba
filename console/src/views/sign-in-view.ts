import { html, type TemplateResult } from 'lit-html';

export interface SignInDefaults {
  readonly apiUrl: string;
  readonly region: string;
}

/** The sign-in form: the key pair (and session token) stay in this tab's sessionStorage only. */
export function signInView(defaults: SignInDefaults, message: string, onSignIn: (form: HTMLFormElement) => void): TemplateResult {
  return html`
    <h2>Sign in</h2>
    <p>Paste an access key. It is kept in this tab only (sessionStorage) and signs every call (SigV4); it is never sent.</p>
    <form id="sign-in" @submit=${(event: Event) => { event.preventDefault(); onSignIn(event.target as HTMLFormElement); }}>
      <label>API URL <input name="apiUrl" id="apiUrl" .value=${defaults.apiUrl} /></label>
      <label>Region <input name="region" id="region" .value=${defaults.region} /></label>
      <label>Access key id <input name="accessKeyId" id="accessKeyId" autocomplete="off" /></label>
      <label>Secret access key <input name="secretAccessKey" id="secretAccessKey" type="password" autocomplete="off" /></label>
      <label>Session token (optional) <input name="sessionToken" id="sessionToken" type="password" autocomplete="off" /></label>
      <button type="submit" id="sign-in-submit">Sign in</button>
    </form>
    <p id="message" role="status">${message}</p>
  `;
}
