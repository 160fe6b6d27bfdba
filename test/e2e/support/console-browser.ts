import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import type { Identity } from '../../../local/identities';
import { deployment } from './local-cloud';

/** Screenshots of each console page (docs/console.md, "Tests"). */
export const CONSOLE_ARTIFACTS = path.join('local', '.state', 'artifacts', 'console');

/** The console's entry as the stack serves it: `GET /console` (which redirects to its index.html). */
export const consoleUrl = (): string => `${deployment.baseUrl.replace(/\/$/, '')}/console`;

export const launchChromium = (): Promise<Browser> => chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });

/** Every request the page sends, every answer's status and every script error, for the tests' checks. */
export interface PageRecord {
  readonly requests: { url: string; headers: Record<string, string>; body: string }[];
  readonly answers: { method: string; url: string; status: number }[];
  readonly errors: string[];
}

export async function openConsole(browser: Browser): Promise<{ page: Page; record: PageRecord }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const record: PageRecord = { requests: [], answers: [], errors: [] };
  page.on('request', (request) => record.requests.push({ url: request.url(), headers: request.headers(), body: request.postData() ?? '' }));
  page.on('response', (response) => record.answers.push({ method: response.request().method(), url: response.url(), status: response.status() }));
  // Chromium logs each 4xx as an error too; those are checked by status (record.answers).
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) record.errors.push(message.text());
  });
  page.on('pageerror', (error) => record.errors.push(String(error)));
  await page.goto(consoleUrl());
  return { page, record };
}

/** Fills the sign-in form with `identity`'s key (the API URL is the page's own default). */
export async function signIn(page: Page, identity: Identity): Promise<void> {
  await page.fill('#region', deployment.region);
  await page.fill('#accessKeyId', identity.accessKeyId);
  await page.fill('#secretAccessKey', identity.secretAccessKey);
  await page.click('#sign-in-submit');
}

/** Opens `name` from the navigation and waits until the page says it loaded. */
export async function visit(page: Page, name: string): Promise<void> {
  await page.click(`#nav-${name}`);
  await page.waitForSelector(`#page-${name}[data-loaded="true"]`, { timeout: 20_000 });
}

/** The page's sessionStorage and localStorage, each as one JSON text. */
export async function storages(page: Page): Promise<{ session: string; local: string }> {
  return page.evaluate('({ session: JSON.stringify({ ...sessionStorage }), local: JSON.stringify({ ...localStorage }) })');
}

/** The answers that were not 2xx/3xx, as `status path` (path from the stage on). */
export function failedAnswers(record: PageRecord): string[] {
  return record.answers
    .filter((a, index) => a.status >= 400 && !resentAfter(record, a, index))
    .map((a) => `${a.status} ${new URL(a.url).pathname.replace(/^.*\/_user_request_/, '')}`);
}

/** A transient answer to a read the console sent again (console/src/console-api.ts): a later answer to the same read follows. */
function resentAfter(record: PageRecord, answer: PageRecord['answers'][number], index: number): boolean {
  return answer.method === 'GET' && [429, 502, 503, 504].includes(answer.status) && record.answers.slice(index + 1).some((later) => later.method === 'GET' && later.url === answer.url);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(CONSOLE_ARTIFACTS, { recursive: true });
  const file = path.join(CONSOLE_ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
