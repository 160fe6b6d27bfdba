/** The pages of the console, as `#name` in its URL. */
export const PAGES = ['volumes', 'modifications', 'snapshots', 'recovery', 'events', 'reports', 'compliance'] as const;
export type Page = (typeof PAGES)[number];

export const PAGE_TITLES: Readonly<Record<Page, string>> = {
  volumes: 'Volumes',
  modifications: 'Modifications',
  snapshots: 'Snapshots',
  recovery: 'Recovery decisions',
  events: 'Events and notices',
  reports: 'Reports and findings',
  compliance: 'Compliance report',
};

/** The page a `#hash` names; volumes for any other. */
export function pageOf(hash: string): Page {
  const name = hash.replace(/^#/, '');
  return (PAGES as readonly string[]).includes(name) ? (name as Page) : 'volumes';
}

/** The API the console is served by: its page URL up to `/console/`, the stage URL. */
export function defaultApiUrl(pageUrl: string): string {
  const url = new URL(pageUrl);
  const at = url.pathname.lastIndexOf('/console');
  return `${url.origin}${at >= 0 ? url.pathname.slice(0, at) : url.pathname.replace(/\/$/, '')}`;
}
