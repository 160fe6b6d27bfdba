import * as fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { ok, type VolumeView } from '../../client/blockplane-api';
import { availableVolumeIn, modificationHosts, modificationReaching, modify } from '../statemachines/support/modifications';
import { freshLocation, stopHosts } from '../statemachines/support/scenario';
import { type PageRecord, consoleUrl, failedAnswers, launchChromium, openConsole, screenshot, signIn, storages, visit } from './support/console-browser';
import { deployment, identities, volumesAs } from './support/local-cloud';

jest.setTimeout(180_000);

const tenantA = identities.tenants.a;
/** The fill of a modification reports progress every second for 8 s, so the page sees it move. */
const SLOW_FILL = { type: 'extend-chain', answerAfterMs: 8000, progressEveryMs: 1000 } as const;

let browser: Browser;
let location: string;
let listed: VolumeView;
let otherTenants: VolumeView;

beforeAll(async () => {
  browser = await launchChromium();
  location = freshLocation();
  await modificationHosts(location, SLOW_FILL);
  listed = await availableVolumeIn(location);
  otherTenants = ok<VolumeView>(await volumesAs('b').create({ sizeGiB: 10, type: 'ssd', iops: 3000, location }));
});

afterAll(async () => {
  await browser?.close();
  await stopHosts();
});

async function signedIn(): Promise<{ page: Page; record: PageRecord }> {
  const opened = await openConsole(browser);
  await signIn(opened.page, tenantA);
  await opened.page.waitForSelector('#page-volumes[data-loaded="true"]', { timeout: 20_000 });
  return opened;
}

describe('the console (headless chromium against the local cloud)', () => {
  test('GET /console serves the build from the stack; signing in keeps the key in sessionStorage only and never sends the secret', async () => {
    // Given the console's entry, unauthenticated
    const { page, record } = await openConsole(browser);
    // Then it redirected to its index.html and shows the sign-in form, with the stage URL as API URL
    expect(page.url()).toBe(`${consoleUrl()}/index.html`);
    expect(await page.inputValue('#apiUrl')).toBe(deployment.baseUrl.replace(/\/$/, ''));
    await screenshot(page, 'sign-in');
    // When tenant a signs in
    await signIn(page, tenantA);
    await page.waitForSelector('#page-volumes[data-loaded="true"]', { timeout: 20_000 });
    // Then the key is in sessionStorage, not localStorage, and no request carried the secret
    const storage = await storages(page);
    expect(storage.session).toContain(tenantA.accessKeyId);
    expect(storage.local).not.toContain(tenantA.accessKeyId);
    const apiCalls = record.requests.filter((r) => !r.url.includes('/console'));
    expect(apiCalls.length).toBeGreaterThan(0);
    for (const request of record.requests) {
      expect(JSON.stringify(request)).not.toContain(tenantA.secretAccessKey);
    }
    for (const call of apiCalls) expect(call.headers.authorization).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${tenantA.accessKeyId}/`));
    expect(record.errors).toEqual([]);
    expect(failedAnswers(record)).toEqual([]);
    // When it signs out, the key is gone from the tab
    await page.click('#sign-out');
    expect((await storages(page)).session).toBe('{}');
    await page.close();
  });

  test("the volumes page lists the tenant's own volumes with their copies and health, not another tenant's", async () => {
    const { page, record } = await signedIn();
    const row = page.locator(`#volumes tr[data-volume-id="${listed.volumeId}"]`);
    await row.waitFor();
    expect(await row.locator('.status').textContent()).toBe('available');
    const copies = (await row.locator('.copies').textContent()) ?? '';
    expect(copies).toMatch(new RegExp(`^primary on ${location}-h\\d, mirror on ${location}-h\\d$`));
    expect(await row.locator('.health').textContent()).toMatch(/^(green|yellow|red|unknown)/);
    expect(await page.locator(`#volumes tr[data-volume-id="${otherTenants.volumeId}"]`).count()).toBe(0);
    await screenshot(page, 'volumes');
    expect(record.errors).toEqual([]);
    expect(failedAnswers(record)).toEqual([]);
    await page.close();
  });

  test('creating a volume from the form shows it creating, then available with its two copies', async () => {
    const { page, record } = await signedIn();
    await page.fill('#create-size', '12');
    await page.fill('#create-location', location);
    await page.click('#create-submit');
    const message = await page.waitForSelector('#message:has-text("Creating vol-")');
    const volumeId = ((await message.textContent()) ?? '').replace('Creating ', '');
    expect(volumeId).toMatch(/^vol-[0-9a-f]{17}$/);
    const row = page.locator(`#volumes tr[data-volume-id="${volumeId}"]`);
    await page.waitForSelector(`#volumes tr[data-volume-id="${volumeId}"] .status:text-is("available")`, { timeout: 60_000 });
    expect(await row.locator('.copies').textContent()).toMatch(/^primary on .+, mirror on .+$/);
    expect(await page.textContent('#message')).toBe(`${volumeId} is available`);
    // The API agrees with the page
    expect(ok<VolumeView>(await volumesAs('a').get(volumeId)).status).toBe('available');
    await screenshot(page, 'volume-created');
    // A bad size never reaches the API: the form says why
    const before = record.requests.length;
    await page.fill('#create-size', '0');
    await page.click('#create-submit');
    await page.waitForSelector('#message:has-text("Size must be a whole number")');
    expect(record.requests.length).toBe(before);
    expect(record.errors).toEqual([]);
    expect(failedAnswers(record)).toEqual([]);
    await page.close();
  });

  test('every page loads from its API route: modifications with progress, snapshots, recovery, events and notices, reports, compliance', async () => {
    // Given a modification in flight on the listed volume
    const grown = ok<{ modificationId: string }>(await modify(listed.volumeId, { sizeGiB: 20 }));
    const { page, record } = await signedIn();

    await visit(page, 'modifications');
    await page.selectOption('#volume-picker', listed.volumeId);
    const modification = page.locator(`#modifications tr[data-modification-id="${grown.modificationId}"]`);
    await modification.waitFor({ timeout: 20_000 });
    expect(await modification.textContent()).toContain('size 10 → 20 GiB');
    expect(await modification.locator('progress').count()).toBe(1);
    await screenshot(page, 'modifications');
    await modificationReaching(listed.volumeId, grown.modificationId, ['completed']);

    await visit(page, 'snapshots');
    await screenshot(page, 'snapshots');

    await visit(page, 'recovery');
    await page.selectOption('#volume-picker', listed.volumeId);
    await page.waitForSelector('#message:has-text("no recovery")');
    await screenshot(page, 'recovery');

    await visit(page, 'events');
    expect(await page.locator('#events').count()).toBe(1);
    expect(await page.locator('#notices').count()).toBe(1);
    await screenshot(page, 'events');

    await visit(page, 'reports');
    expect(await page.locator('#reports').count()).toBe(1);
    await screenshot(page, 'reports');

    // A customer key may not render a compliance report: the page shows the API's 403
    await visit(page, 'compliance');
    await page.click('#compliance-submit');
    await page.waitForSelector('#message:has-text("403")');
    await screenshot(page, 'compliance');

    // Every page rendered without a script error; the only failed answers are the ones the pages
    // explain (the recovery is asked for again when the volume is picked again)
    expect(record.errors).toEqual([]);
    expect([...new Set(failedAnswers(record))]).toEqual([`404 /volumes/${listed.volumeId}/recovery`, '403 /compliance-reports']);
    for (const name of ['sign-in', 'volumes', 'volume-created', 'modifications', 'snapshots', 'recovery', 'events', 'reports', 'compliance']) {
      expect(fs.existsSync(`local/.state/artifacts/console/${name}.png`)).toBe(true);
    }
    await page.close();
  });
});
