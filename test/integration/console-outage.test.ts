import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusedPort } from '../support/refused-port.js';
import { buildConsole, CHROMIUM, logIn } from '../support/browser.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';

// A ClickHouse that is not there: every stats request fails for real, and each page that shows
// numbers says they are unavailable rather than showing zeros (console-correctness.test.ts covers
// the same platform with its analytics up).
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'];

describe('console during an analytics outage', () => {
  let platform: TestPlatform;
  let built: { dir: string; remove: () => Promise<void> };
  let browser: Browser;

  beforeAll(async () => {
    built = await buildConsole();
    // A ClickHouse that is not there: every stats request fails, the rest of the console works.
    platform = await startTestPlatform({
      BRIDGEMAIL_CONSOLE_DIR: built.dir,
      CLICKHOUSE_URL: `http://127.0.0.1:${await refusedPort()}`,
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  });
  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
    await built?.remove();
  });

  it("says the numbers are unavailable instead of showing 0 and 0.0%: the list, a Bridge's stats, Compare", async () => {
    const pool = await platform.createPool('outage-pool', ['127.0.0.2']);
    const bridge = await platform.createBridge('outage', pool.id);
    const stats = await platform.admin('GET', `/admin/v1/bridges/${bridge.id}/stats`);
    expect(stats.status).toBeGreaterThanOrEqual(500);
    const page = await browser.newPage();
    await logIn(page, platform.urls.admin, platform.adminToken);
    const row = page.locator(`tr[data-bridge-id="${bridge.id}"]`);
    await expect.poll(() => row.getByTestId('sent-24h').textContent(), { timeout: 15_000 }).toBe('—');
    expect(await row.getByTestId('bounce-rate-24h').textContent()).toBe('—');
    expect(await page.getByRole('alert').first().textContent()).toContain('unavailable');
    await page.goto(`${platform.urls.admin}/#/bridges/${bridge.id}/stats`);
    await expect.poll(() => page.getByTestId('tile-total-sent').textContent(), { timeout: 15_000 }).toBe('—');
    expect(await page.getByTestId('tile-delivered').textContent()).toBe('—');
    expect(await page.locator('main').textContent()).toContain('Numbers unavailable');
    expect(await page.locator('main').textContent()).not.toContain('0.0%');
    // Compare: the Bridge is listed as on the Bridges list, with "—" for every number, and the
    // page says why there are no numbers.
    await page.goto(`${platform.urls.admin}/#/stats`);
    await page.getByRole('heading', { name: 'Compare Bridges', level: 1 }).waitFor();
    await expect.poll(() => page.locator('main').textContent(), { timeout: 15_000 }).toContain('Numbers unavailable');
    const compared = page.locator(`tbody tr[data-bridge-id="${bridge.id}"]`);
    await expect.poll(() => compared.count(), { timeout: 15_000 }).toBe(1);
    expect(await compared.getByRole('rowheader').textContent()).toBe('outage');
    const cells = await compared.locator('td').allTextContents();
    expect(cells).toHaveLength(11);
    expect(new Set(cells)).toEqual(new Set(['—']));
    expect(await page.locator('tbody tr').count()).toBe(1);
    expect(await page.locator('main').textContent()).not.toMatch(/0\.0%|Loading/);
  });
});
