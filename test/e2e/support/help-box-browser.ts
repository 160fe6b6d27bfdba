import { chromium } from 'playwright-core';
import type { Identity } from '../../../local/identities';
import { deployment } from './local-cloud';

/**
 * Opens the deployed help page in headless Debian chromium as `identity`, types `typed` key by key,
 * then waits (bounded) for the pop-up to name `eventId`; answers what the text box held when the
 * pop-up first showed it, and the pop-up's text. The rest (`rest`) is typed only afterwards, so a
 * pop-up found here came before the sentence was finished.
 */
export async function helpBoxShowsEvent(identity: Identity, typed: string, rest: string, eventId: string): Promise<{ textWhenShown: string; popup: string }> {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    await page.goto(new URL('help', deployment.baseUrl.endsWith('/') ? deployment.baseUrl : `${deployment.baseUrl}/`).toString());
    await page.fill('#accessKeyId', identity.accessKeyId);
    await page.fill('#secretAccessKey', identity.secretAccessKey);
    await page.fill('#region', deployment.region);
    await page.click('#question');
    await page.keyboard.type(typed, { delay: 40 });
    await page.waitForSelector(`#popup [data-event-id="${eventId}"]`, { state: 'visible', timeout: 15_000 });
    const textWhenShown = await page.inputValue('#question');
    const popup = await page.textContent('#popup');
    await page.keyboard.type(rest, { delay: 20 });
    return { textWhenShown, popup: popup ?? '' };
  } finally {
    await browser.close();
  }
}
