import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousViolations } from '../support/axe.js';
import { buildConsole, CHROMIUM, logIn } from '../support/browser.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { waitFor } from '../support/wait.js';

// What the console shows must be true: no old Bridge's data under a new id, no outage shown as zero,
// one meaning per label, deferred messages rather than attempts, "—" where there is no number, every
// Bridge in Compare, one time zone (UTC, said on screen) whatever the browser's, bars for counts,
// names rather than ids. The browser runs in UTC+14 so a local time cannot pass for UTC.
const SHOTS = resolve(import.meta.dirname, '../../test-results');
const ZONE = 'Pacific/Kiritimati';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'];

/** `2024-03-10 14:05:09 UTC`, as the console writes times. */
const utc = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;

describe('console shows true numbers and names', () => {
  let sink: SmtpSink;
  let platform: TestPlatform;
  let built: { dir: string; remove: () => Promise<void> };
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  let alpha: any;
  let idle: any;
  let beta: any;
  let gone: any;
  let taggedId = '';

  beforeAll(async () => {
    built = await buildConsole();
    // stuck@ is deferred for ever; once@ twice, then accepted: two deferred messages, one waiting.
    sink = await startSmtpSink((rcpt, n) =>
      rcpt.startsWith('stuck@') || (rcpt.startsWith('once@') && n <= 2)
        ? { code: 451, message: '4.7.1 try again later' }
        : undefined,
    );
    platform = await startTestPlatform({ BRIDGEMAIL_MX_OVERRIDE: sink.mxOverride, BRIDGEMAIL_CONSOLE_DIR: built.dir });
    const pool = await platform.createPool('truth-pool', ['127.0.0.2']);
    alpha = await platform.createBridge('alpha', pool.id, { trackOpens: true, trackClicks: false });
    idle = await platform.createBridge('idle', pool.id);
    beta = await platform.createBridge('beta', pool.id);
    gone = await platform.createBridge('gone', pool.id);
    expect((await platform.admin('POST', `/admin/v1/bridges/${beta.id}/revoke`, { what: 'api' })).status).toBe(200);
    expect((await platform.admin('DELETE', `/admin/v1/bridges/${gone.id}`)).status).toBeLessThan(300);
    const suppressed = await platform.admin('POST', '/admin/v1/suppressions', {
      address: 'nobody@example.test',
      bridgeId: alpha.id,
    });
    expect(suppressed.status).toBe(201);
    for (const to of ['reader@example.test', 'stuck@example.test', 'once@example.test']) {
      // The reader's message has a tag and metadata: the stats page filters by it, the timeline shows them.
      const labels = to.startsWith('reader') ? { tag: 'welcome', metadata: { plan: 'pro' } } : {};
      const res = await platform.send(alpha.apiKey, { from: 'app@truth.test', to, subject: 's', text: 't', ...labels });
      expect(res.status).toBe(202);
      if (to.startsWith('reader')) taggedId = ((await res.json()) as { id: string }).id;
    }
    // Wait until the stuck message has failed several attempts: attempts and messages now differ.
    await waitFor(
      async () => {
        const s = (await platform.admin('GET', `/admin/v1/bridges/${alpha.id}/stats`)).body;
        return s.delivered === 2 && s.deferred >= 4 && s.awaitingRetry === 1 ? s : undefined;
      },
      30_000,
      'two delivered, the stuck message deferred again and again',
    );
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    const context = await browser.newContext({ timezoneId: ZONE, viewport: { width: 1360, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    await mkdir(SHOTS, { recursive: true });
    await logIn(page, platform.urls.admin, platform.adminToken);
  });
  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
    await sink?.close();
    await built?.remove();
  });

  const text = (selector: string) => page.locator(selector).first().textContent();
  /** Holds back the next `times` requests matching `url` for 1.5 s each, as a slow API would. */
  const slow = (url: string | RegExp, times = 1) =>
    page.route(
      url,
      async (route) => {
        await new Promise((r) => setTimeout(r, 1500));
        await route.continue().catch(() => undefined); // a request the page dropped meanwhile is handled already
      },
      { times },
    );
  const loading = (what: string) => page.getByRole('status').filter({ hasText: `Loading ${what}` });

  it('drops the data of one Bridge when the route names another, and shows "no such Bridge" on its own', async () => {
    await page.goto(`${platform.urls.admin}/#/bridges/${alpha.id}`);
    await page.getByRole('heading', { name: 'alpha', level: 1 }).waitFor();
    await page.goto(`${platform.urls.admin}/#/bridges/br_doesnotexist`);
    await page.getByRole('heading', { name: 'No such Bridge', level: 1 }).waitFor();
    expect(await page.getByLabel('Username', { exact: true }).count()).toBe(0);
    expect(await page.getByRole('checkbox').count()).toBe(0);
    expect(await page.locator('main').textContent()).not.toContain(alpha.smtp.username);

    await page.goto(`${platform.urls.admin}/#/bridges/${alpha.id}/stats`);
    await expect.poll(() => page.getByTestId('tile-total-sent').textContent(), { timeout: 15_000 }).toBe('3');
    await page.goto(`${platform.urls.admin}/#/bridges/br_doesnotexist/stats`);
    await page.getByRole('heading', { name: 'No such Bridge', level: 1 }).waitFor();
    expect(await page.getByTestId('tile-total-sent').count()).toBe(0);
    expect(await page.locator('canvas').count()).toBe(0);
  });

  it('counts deferred messages, not attempts, and labels opens and rates by what they count', async () => {
    await page.goto(`${platform.urls.admin}/#/bridges/${alpha.id}/stats`);
    await expect.poll(() => page.getByTestId('tile-deferred').textContent(), { timeout: 15_000 }).toBe('2');
    expect(await page.getByTestId('tile-deferred-sub').textContent()).toBe('1 waiting for a retry now');
    expect(await page.getByTestId('tile-delivered-sub').textContent()).toMatch(/^66\.7% of sent$/);
    // One definition per label: the tile, the table and Compare say "Unique opens".
    expect(await page.getByTestId('tile-unique-opens').textContent()).toBe('0');
    expect(await page.getByTestId('tile-unique-opens-sub').textContent()).toBe('0.0% of delivered');
    const headers = await page.locator('details table thead th').allTextContents();
    expect(headers).toEqual([
      'Hour (UTC)',
      'Sent',
      'Delivered',
      'Bounced',
      'Complaints',
      'Unique opens',
      'Unique clicks',
    ]);
    // Click tracking is off for alpha: no count and no rate, and the tile says why.
    expect(await page.getByTestId('tile-unique-clicks').textContent()).toBe('—');
    expect(await page.getByTestId('tile-unique-clicks-sub').textContent()).toBe('Click tracking off');
    expect(await page.locator('main').textContent()).toContain('Times are UTC');
    // Counts per day are bars, not a line between days.
    await page.getByLabel('Interval').selectOption('day');
    expect(await page.locator('.chart').getAttribute('data-chart-type')).toBe('bar');
    await expect.poll(() => page.locator('details table thead th').first().textContent()).toBe('Day (UTC)');
    expect(await page.locator('canvas').getAttribute('aria-label')).toContain('per day (UTC)');
    await page.screenshot({ path: join(SHOTS, 'console-truth-stats.png'), fullPage: true });

    // A Bridge without traffic: no rate of nothing.
    await page.goto(`${platform.urls.admin}/#/bridges/${idle.id}/stats`);
    await expect.poll(() => page.getByTestId('tile-total-sent').textContent(), { timeout: 15_000 }).toBe('0');
    expect(await page.getByTestId('tile-delivered-sub').textContent()).toBe('— of sent');
    expect(await page.getByTestId('tile-bounced-sub').textContent()).toBe('— of sent');
  });

  it("filters a Bridge's stats by tag, lists the tags, and shows a message's tag and metadata", async () => {
    await page.goto(`${platform.urls.admin}/#/bridges/${alpha.id}/stats`);
    const rows = page.getByTestId('tag-table').locator('tbody tr');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(2);
    // Busiest first: the two untagged messages, then `welcome`.
    expect((await rows.locator('th').allTextContents()).map((t) => t.trim())).toEqual(['(no tag)', 'welcome']);
    await page.getByTestId('tag-filter').selectOption('welcome');
    await expect.poll(() => page.getByTestId('tile-total-sent').textContent(), { timeout: 15_000 }).toBe('1');
    expect(await page.getByTestId('tile-delivered').textContent()).toBe('1');
    await page.getByTestId('tag-filter').selectOption('');
    await expect.poll(() => page.getByTestId('tile-total-sent').textContent(), { timeout: 15_000 }).toBe('3');
    await page.goto(`${platform.urls.admin}/#/activity/${taggedId}`);
    const labels = page.getByTestId('message-labels');
    await labels.waitFor();
    expect((await labels.textContent())?.replace(/\s+/g, '')).toBe('Tagwelcomeplanpro');
  });

  it('compares every Bridge, idle ones included, with rates over stated denominators', async () => {
    await page.goto(`${platform.urls.admin}/#/stats`);
    const idleRow = page.locator(`tr[data-bridge-id="${idle.id}"]`);
    await idleRow.waitFor({ timeout: 15_000 });
    expect(await idleRow.locator('th').textContent()).toBe('idle');
    const headers = await page.locator('thead th').allTextContents();
    expect(headers).toContain('Unique opens');
    expect(headers).toContain('Open rate (of delivered)');
    expect(headers).not.toContain('Opens');
    // Idle: every rate is "—"; alpha's click columns are "—" (tracking off).
    const idleCells = await idleRow.locator('td').allTextContents();
    expect(idleCells.slice(6)).toEqual(['—', '—', '—', '—', '—']);
    const alphaCells = await page.locator(`tr[data-bridge-id="${alpha.id}"] td`).allTextContents();
    expect(alphaCells[5]).toBe('—');
    expect(alphaCells[10]).toBe('—');
    expect(alphaCells[6]).toBe('66.7%');
  });

  it('lists Bridges by what is true of them: revoked credential named, deleted ones on request, readable "off"', async () => {
    // The list's data is held back a moment: a loading indicator shows meanwhile, not an empty table.
    await slow('**/admin/v1/bridges?include=deleted');
    await page.goto(`${platform.urls.admin}/#/pools`);
    await page.goto(`${platform.urls.admin}/#/bridges`);
    await loading('Bridges').waitFor();
    const betaRow = page.locator(`tr[data-bridge-id="${beta.id}"]`);
    await betaRow.waitFor();
    expect(await betaRow.locator('.status').textContent()).toBe('API key revoked');
    expect(await page.locator(`tr[data-bridge-id="${gone.id}"]`).count()).toBe(0);
    await page.getByLabel(/Show deleted Bridges/).check();
    expect(await page.locator(`tr[data-bridge-id="${gone.id}"] .status`).textContent()).toBe('deleted');
    const idleRow = page.locator(`tr[data-bridge-id="${idle.id}"]`);
    await expect.poll(() => idleRow.getByTestId('bounce-rate-24h').textContent(), { timeout: 15_000 }).toBe('—');
    // The "off" flag's text against its background: WCAG AA for normal text is 4.5:1.
    const ratio = await page.evaluate<number>(`(() => {
      const el = document.querySelector('.flag:not(.on)');
      const rgb = (c) => c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
      const lum = (c) => {
        const [r, g, b] = rgb(c).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
      };
      const s = getComputedStyle(el);
      const [a, b] = [lum(s.color), lum(s.backgroundColor)].sort((x, y) => y - x);
      return (a + 0.05) / (b + 0.05);
    })()`);
    expect(ratio).toBeGreaterThanOrEqual(4.5);
    await page.screenshot({ path: join(SHOTS, 'console-truth-bridges.png'), fullPage: true });
  });

  it("shows a loading status, not an empty table or zeros, while Activity, a timeline and a Bridge's stats load", async () => {
    await page.goto(`${platform.urls.admin}/#/pools`);
    await page.getByRole('heading', { name: 'Pools & IPs', level: 1 }).waitFor();
    await slow(/\/admin\/v1\/messages\?/);
    await page.goto(`${platform.urls.admin}/#/activity`);
    await loading('messages').waitFor();
    expect(await page.getByTestId('activity-row').count()).toBe(0);
    expect(await page.locator('main').textContent()).not.toContain('No messages match');
    await expect.poll(() => page.getByTestId('activity-row').count(), { timeout: 15_000 }).toBe(3);
    expect(await loading('messages').count()).toBe(0);

    await slow(`**/admin/v1/messages/${taggedId}`);
    await page.goto(`${platform.urls.admin}/#/activity/${taggedId}`);
    await loading('the timeline').waitFor();
    expect(await page.getByTestId('timeline-event').count()).toBe(0);
    await page.getByTestId('timeline-event').first().waitFor();
    expect(await loading('the timeline').count()).toBe(0);

    // The stats page's three requests (totals, series, tags) are each held back.
    await page.goto(`${platform.urls.admin}/#/pools`);
    await page.getByRole('heading', { name: 'Pools & IPs', level: 1 }).waitFor();
    await slow(`**/admin/v1/bridges/${alpha.id}/stats**`, 3);
    await page.goto(`${platform.urls.admin}/#/bridges/${alpha.id}/stats`);
    await loading('the numbers').waitFor();
    await loading('the chart').waitFor();
    expect(await page.getByTestId('tile-total-sent').textContent()).toBe('…');
    expect(await page.locator('details table tbody tr').count()).toBe(0);
    expect(await page.getByTestId('tag-table').count()).toBe(0);
    await expect.poll(() => page.getByTestId('tile-total-sent').textContent(), { timeout: 15_000 }).toBe('3');
    const stillLoading = page.getByRole('status').filter({ hasText: /^Loading/ });
    await expect.poll(() => stillLoading.count(), { timeout: 15_000 }).toBe(0);
    expect(await page.locator('details table tbody tr').count()).toBeGreaterThan(0);
  });

  it('says the numbers are unavailable on Compare when its stats request fails, then shows them again', async () => {
    const failing = '**/admin/v1/stats/bridges?**';
    await page.route(failing, (route) =>
      route.fulfill({
        status: 500,
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'INTERNAL', message: 'analytics unavailable' } }),
      }),
    );
    await page.goto(`${platform.urls.admin}/#/stats`);
    await page.getByRole('heading', { name: 'Compare Bridges', level: 1 }).waitFor();
    await expect.poll(() => page.locator('main').textContent(), { timeout: 15_000 }).toContain('Numbers unavailable');
    // Every live Bridge is still listed, each number "—" (no zero rows, no rates).
    const live = ((await platform.admin('GET', '/admin/v1/bridges')).body.data as unknown[]).length;
    await expect.poll(() => page.locator('tbody tr').count(), { timeout: 15_000 }).toBe(live);
    expect(await page.locator('tbody td').allTextContents()).toEqual(Array(live * 11).fill('—'));
    expect(await page.locator(`tr[data-bridge-id="${alpha.id}"] th`).textContent()).toBe('alpha');
    expect(await page.locator('main').textContent()).not.toMatch(/0\.0%|66\.7%/);
    await page.screenshot({ path: join(SHOTS, 'console-truth-compare-outage.png'), fullPage: true });
    // The page asks again every 5 s: once the API answers, the numbers are back and the notice gone.
    await page.unroute(failing);
    const alphaRow = page.locator(`tr[data-bridge-id="${alpha.id}"]`);
    await expect.poll(() => alphaRow.locator('td').nth(6).textContent(), { timeout: 15_000 }).toBe('66.7%');
    expect(await page.locator('main').textContent()).not.toContain('Numbers unavailable');
  });

  it('names Bridges in suppressions and objects in the audit log, with UTC times and readable details', async () => {
    await page.goto(`${platform.urls.admin}/#/suppressions`);
    await expect.poll(() => text('[data-testid="suppression-bridge"]')).toBe('alpha');
    // An account (its update's details carry no name), its token, a template the token made, an analyst.
    const acc = (await platform.admin('POST', '/admin/v1/accounts', { name: 'acme-corp' })).body;
    await platform.admin('PATCH', `/admin/v1/accounts/${acc.id}`, { dedicatedIps: true });
    const tok = (await platform.admin('POST', `/admin/v1/accounts/${acc.id}/tokens`, { name: 'ci-token' })).body;
    const tplId = await fetch(`${platform.urls.admin}/admin/v1/templates`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tok.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Welcome mail', alias: 'welcome', subject: 'Hi', text: 'hi' }),
    }).then(async (r) => ((await r.json()) as { id: string }).id);
    const an = (await platform.admin('POST', '/admin/v1/analysts', { name: 'finance-bi' })).body;
    const audit = (await platform.admin('GET', '/admin/v1/audit?limit=50')).body.data as any[];
    const entry = (action: string) => audit.find((e) => e.action === action);
    expect(entry('account.update')).toMatchObject({ targetId: acc.id, targetName: 'acme-corp' });
    expect(entry('account.token.create').names).toEqual({ [acc.id]: 'acme-corp', [tok.id]: 'ci-token' });
    expect(entry('template.create')).toMatchObject({ targetName: 'Welcome mail', names: { [tok.id]: 'ci-token' } });
    expect(entry('analyst.create')).toMatchObject({ targetId: an.id, targetName: 'finance-bi' });
    expect(entry('bridge.delete')).toMatchObject({ targetId: gone.id, targetName: 'gone' });
    await page.goto(`${platform.urls.admin}/#/audit`);
    await expect.poll(() => page.locator('tbody tr').count()).toBeGreaterThan(3);
    expect(await page.locator('tbody tr time').first().textContent()).toBe(utc(new Date(audit[0].at).toISOString()));
    expect(await page.locator('thead th').first().textContent()).toBe('When (UTC)');
    const row = (action: string) => page.locator('tbody tr').filter({ hasText: action }).first();
    const target = (action: string) => row(action).getByTestId('audit-target').textContent();
    expect(await target('bridge.revoke')).toContain('beta');
    expect(await target('account.update')).toBe(`account acme-corp (${acc.id})`);
    expect(await row('account.token.create').locator('dd').allTextContents()).toContain(`ci-token (${tok.id})`);
    expect(await target('template.create')).toBe(`template Welcome mail (${tplId})`);
    expect(await row('template.create').getByTestId('audit-actor').textContent()).toBe(`ci-token (${tok.id})`);
    expect(await target('analyst.create')).toBe(`analyst finance-bi (${an.id})`);
    // Details are key/value pairs, not a JSON string broken wherever the column ends.
    expect((await page.locator('tbody td dl').allTextContents()).join('\n')).not.toMatch(/[{}"]/);
    expect(await row('bridge.revoke').locator('dl dt').allTextContents()).not.toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'console-truth-audit.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('lists the lines a CSV import left out: line number, column, reason and the line itself', async () => {
    await page.goto(`${platform.urls.admin}/#/suppressions`);
    await page.getByRole('heading', { name: 'Suppression list', level: 1 }).waitFor();
    const csv = [
      'address,reason,bridge_id',
      `imported@example.test,manual,${alpha.id}`,
      'not-an-address,manual,',
      'orphan@example.test,manual,br_doesnotexist',
    ].join('\n');
    await page.getByLabel('Import CSV (address[,reason[,bridge_id]] per line)').fill(csv);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    const list = page.getByRole('region', { name: '2 lines not imported' });
    await list.waitFor();
    const items = await list.getByRole('listitem').allTextContents();
    expect(items).toHaveLength(2);
    expect(items[0]).toMatch(/^Line 3, column address: \S.* — not-an-address,manual,$/);
    expect(items[1]).toBe(
      'Line 4, column bridge_id: no Bridge has this id — orphan@example.test,manual,br_doesnotexist',
    );
    expect(await page.getByRole('status').first().textContent()).toBe(
      'Imported 1, already there 0, 2 lines not imported (listed under the import form)',
    );
    // The good line is in, the bad ones are not.
    await expect.poll(() => page.locator('tbody th').allTextContents()).toContain('imported@example.test');
    expect(await page.locator('tbody th').allTextContents()).not.toContain('orphan@example.test');
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'console-truth-suppression-import.png'), fullPage: true });
    // A clean import clears the list.
    await page.getByLabel('Import CSV (address[,reason[,bridge_id]] per line)').fill('second@example.test');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toBe('Imported 1, already there 0');
    expect(await page.getByTestId('import-errors').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('has no serious or critical axe-core violation on any page', async () => {
    const routes = [
      '#/bridges?deleted=1',
      `#/bridges/${alpha.id}`,
      `#/bridges/${gone.id}`,
      '#/bridges/br_doesnotexist',
      `#/bridges/${alpha.id}/stats`,
      '#/stats',
      '#/activity',
      '#/pools',
      '#/suppressions',
      '#/audit',
      '#/queues',
    ];
    const found: Record<string, unknown> = {};
    const check = async (name: string) => {
      const v = await seriousViolations(page);
      if (v.length) found[name] = v;
    };
    for (const route of routes) {
      await page.goto(`${platform.urls.admin}/${route}`);
      await page.locator('main h1').waitFor();
      await expect
        .poll(() =>
          page
            .getByRole('status')
            .filter({ hasText: /^Loading/ })
            .count(),
        )
        .toBe(0);
      await check(route);
    }
    await page.goto(`${platform.urls.admin}/#/bridges`);
    await page.getByRole('button', { name: 'Create Bridge' }).click();
    await page.getByRole('dialog', { name: 'Create Bridge' }).waitFor();
    await check('Create Bridge dialog');
    const login = await browser.newPage();
    await login.goto(platform.urls.admin);
    await login.getByLabel('Admin token').waitFor();
    const v = await seriousViolations(login);
    if (v.length) found.login = v;
    await login.close();
    expect(found).toEqual({});
  });
});
