import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousViolations } from '../support/axe.js';
import { buildConsole, launchBrowser } from '../support/browser.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { waitFor } from '../support/wait.js';

// The web console in a real headless Chromium (Debian's), driven by Playwright: log in, create a
// Pool and a Bridge, read its credentials, send with them, watch the stats tile, rotate, delete.
const SHOTS = resolve(import.meta.dirname, '../../test-results');

describe('web console in headless Chromium', () => {
  let sink: SmtpSink;
  let platform: TestPlatform;
  let console_: { dir: string; remove: () => Promise<void> };
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    console_ = await buildConsole();
    sink = await startSmtpSink();
    platform = await startTestPlatform({
      BRIDGEMAIL_MX_OVERRIDE: sink.mxOverride,
      BRIDGEMAIL_CONSOLE_DIR: console_.dir,
    });
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    await mkdir(SHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
    await sink?.close();
    await console_?.remove();
  });

  const send = (apiKey: string, to: string) =>
    fetch(`${platform.urls.api}/v1/send`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        from: 'app@console.test',
        to,
        subject: 'From the console test',
        html: '<p>Hello <a href="https://example.test/x">there</a></p>',
      }),
    });

  const nav = () => page.getByRole('navigation', { name: 'Main' });

  /**
   * Every form control has an accessible name and every button or link says what it does. Runs in
   * the page (as a string: this file is type-checked without the DOM library).
   */
  const UNLABELLED = `(() => {
    const bad = [];
    for (const el of document.querySelectorAll('input, select, textarea')) {
      const labelled = (el.labels && el.labels.length) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
      if (!labelled && el.type !== 'hidden') bad.push(el.outerHTML.slice(0, 120));
    }
    for (const el of document.querySelectorAll('button, a[href]')) {
      if (!(el.getAttribute('aria-label') || el.textContent.trim())) bad.push(el.outerHTML.slice(0, 120));
    }
    return bad;
  })()`;
  const unlabelled = (p: Page) => p.evaluate<string[]>(UNLABELLED);
  const focusedText = () => page.evaluate<string>(`document.activeElement?.textContent?.trim() ?? ''`);
  /** Picks an item of a Bridge row's actions menu. */
  const rowAction = async (row: Locator, item: string) => {
    await row.getByRole('button', { name: /^Actions for/ }).click();
    await page.getByRole('menu').getByRole('menuitem', { name: item, exact: true }).click();
  };

  it('walks an operator through a Bridge from creation to deletion', async () => {
    // Log in: the cookie is HttpOnly, so the page's script cannot read it.
    await page.goto(platform.urls.admin);
    await page.getByLabel('Admin token').fill('wrong-token');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('INVALID_CREDENTIALS');
    await page.getByLabel('Admin token').fill(platform.adminToken);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Bridges', level: 1 }).waitFor();
    expect(await page.evaluate<string>('document.cookie')).toBe('');
    const cookie = (await browser.context.cookies()).find((c) => c.name === 'bm_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

    // A Pool with a loopback IP.
    await nav().getByRole('link', { name: 'Pools & IPs' }).click();
    await page.getByLabel('Pool name').fill('console-pool');
    await page.getByLabel('IPs (comma separated)').fill('127.0.0.2, 127.0.0.3');
    await page.getByRole('button', { name: 'Create Pool' }).click();
    await page.getByRole('heading', { name: 'console-pool', level: 2 }).waitFor();
    expect(await unlabelled(page)).toEqual([]);

    // A Bridge, its credentials shown once created.
    await nav().getByRole('link', { name: 'Bridges', exact: true }).click();
    await page.getByRole('button', { name: 'Create Bridge' }).click();
    const create = page.getByRole('dialog', { name: 'Create Bridge' });
    await create.getByLabel('Name').fill('console-app');
    await create.getByLabel('Pool').selectOption({ label: 'console-pool (127.0.0.2, 127.0.0.3)' });
    await create.getByLabel('Track opens').check();
    expect(await unlabelled(page)).toEqual([]);
    await create.getByRole('button', { name: 'Create' }).click();
    const creds = page.getByRole('dialog', { name: 'Credentials of console-app' });
    await creds.waitFor();
    expect(await creds.getByLabel('API key', { exact: true }).getAttribute('type')).toBe('password');
    await creds.getByRole('button', { name: 'Show API key' }).click();
    const apiKey = await creds.getByLabel('API key', { exact: true }).inputValue();
    const password = await creds.getByLabel('SMTP password', { exact: true }).inputValue();
    expect(apiKey).toMatch(/^bm_/);
    expect(password.length).toBeGreaterThan(10);
    await creds.getByRole('button', { name: 'Done' }).click();
    const row = page.getByRole('row', { name: /console-app/ });
    await expect.poll(() => row.textContent()).toContain('active');
    const bridgeId = await row.getAttribute('data-bridge-id');
    expect(bridgeId).toMatch(/^br_/);

    // The detail page shows the same credentials, samples in keyboard-operable tabs.
    await rowAction(row, 'View SMTP details');
    await page.getByRole('heading', { name: 'console-app', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Show Password' }).click();
    expect(await page.getByLabel('Password', { exact: true }).inputValue()).toBe(password);
    expect(await page.getByLabel('Username', { exact: true }).inputValue()).toBe(
      (await platform.admin('GET', `/admin/v1/bridges/${bridgeId}`)).body.smtp.username,
    );
    const curlTab = page.getByRole('tab', { name: 'cURL' });
    await curlTab.focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.getByRole('tab', { name: 'PHP', exact: true }).getAttribute('aria-selected')).toBe('true');
    // The samples hide the key until shown (console-secrets-queues.test.ts covers them in full).
    await expect.poll(() => page.getByRole('tabpanel').first().textContent()).toContain('••••••••');
    await page.getByRole('button', { name: 'Show secrets' }).click();
    await expect.poll(() => page.getByRole('tabpanel').first().textContent()).toContain(apiKey);
    expect(await unlabelled(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'console-bridge-detail.png'), fullPage: true });

    // Send with the key the console showed; the stats tile follows.
    await page.getByRole('link', { name: 'Sending stats' }).click();
    await page.getByRole('heading', { name: /Sending stats/, level: 1 }).waitFor();
    await expect.poll(() => page.getByTestId('tile-total-sent').textContent()).toBe('0');
    expect((await send(apiKey, 'reader@example.test')).status).toBe(202);
    await waitFor(() => sink.messages.length >= 1, 20_000, 'the message at the sink');
    await expect.poll(() => page.getByTestId('tile-total-sent').textContent(), { timeout: 30_000 }).toBe('1');
    await expect.poll(() => page.getByTestId('tile-delivered').textContent(), { timeout: 30_000 }).toBe('1');
    expect(['127.0.0.2', '127.0.0.3']).toContain(sink.messages[0]?.remoteAddress);
    expect(await page.locator('canvas[role="img"]').count()).toBe(1);
    await page.getByLabel('Interval').selectOption('day');
    await page.screenshot({ path: join(SHOTS, 'console-stats.png'), fullPage: true });

    // Rotate the API key from the list: the old key is refused, the new one sends.
    await nav().getByRole('link', { name: 'Bridges', exact: true }).click();
    await expect.poll(() => row.getByTestId('sent-24h').textContent(), { timeout: 15_000 }).toBe('1');
    await page.screenshot({ path: join(SHOTS, 'console-bridges.png'), fullPage: true });
    await rowAction(row, 'Rotate');
    const rotate = page.getByRole('dialog', { name: /Rotate credentials/ });
    await rotate.getByLabel('API key', { exact: true }).check();
    await rotate.getByRole('button', { name: 'Rotate' }).click();
    const rotated = page.getByRole('dialog', { name: 'Credentials of console-app' });
    await rotated.getByRole('button', { name: 'Show API key' }).click();
    const newKey = await rotated.getByLabel('API key', { exact: true }).inputValue();
    expect(newKey).not.toBe(apiKey);
    await rotated.getByRole('button', { name: 'Done' }).click();
    const old = await send(apiKey, 'reader@example.test');
    expect(old.status).toBe(401);
    expect(((await old.json()) as { error: { code: string } }).error.code).toBe('INVALID_CREDENTIALS');
    expect((await send(newKey, 'second@example.test')).status).toBe(202);

    // Delete, after confirming; both credentials stop at once.
    await rowAction(row, 'Delete');
    const confirm = page.getByRole('dialog', { name: 'Delete console-app?' });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    expect(await row.textContent()).toContain('active');
    await rowAction(row, 'Delete');
    await confirm.getByRole('button', { name: 'Delete Bridge' }).click();
    // Deleted Bridges are listed on request only.
    await expect.poll(() => row.count()).toBe(0);
    await page.getByLabel(/Show deleted Bridges/).check();
    await expect.poll(() => row.textContent()).toContain('deleted');
    expect((await send(newKey, 'third@example.test')).status).toBe(410);

    // The deleted Bridge stays listed and readable, and shows no secret, download or sample.
    await rowAction(row, 'View SMTP details');
    await page.getByRole('heading', { name: 'console-app', level: 1 }).waitFor();
    await expect.poll(() => page.locator('main').textContent()).toContain('no longer works: the Bridge was deleted');
    expect(await page.getByLabel('Password', { exact: true }).count()).toBe(0);
    expect(await page.getByLabel('API key', { exact: true }).count()).toBe(0);
    expect(await page.getByRole('heading', { name: 'Code samples' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: '.env' }).count()).toBe(0);
    expect(await page.getByRole('alert').count()).toBe(0);
    expect(await page.content()).not.toContain(newKey);
    expect(pageErrors).toEqual([]);
  });

  it("edits a Bridge's sending limits and shows its usage against them", async () => {
    const pool = await platform.createPool('limits-pool', ['127.0.0.4']);
    const bridge = await platform.createBridge('limited-app', pool.id, { limits: { perDay: 2 } });
    // Two accepted, the third refused: the card shows 2 / 2 and the refusal.
    const codes = [];
    for (const to of ['l1@example.test', 'l2@example.test', 'l3@example.test'])
      codes.push((await send(bridge.apiKey, to)).status);
    expect(codes).toEqual([202, 202, 429]);
    await page.goto(`${platform.urls.admin}/#/bridges/${bridge.id}`);
    const card = page.getByRole('region', { name: 'Sending limits' });
    const usage = card.getByRole('table', { name: 'Usage in the current windows' });
    await expect.poll(() => usage.getByRole('row', { name: /Per day/ }).textContent()).toContain('2 / 2');
    expect(await card.textContent()).toContain('Refused for a limit: 1 today, 1 in all.');
    expect(await card.getByLabel('Per day (UTC)').inputValue()).toBe('2');
    await card.getByLabel('Per hour').fill('0');
    await card.getByRole('button', { name: 'Save limits' }).click();
    await expect.poll(() => card.getByRole('alert').textContent()).toContain('limits.perHour');
    await card.getByLabel('Per hour').fill('50');
    await card.getByRole('button', { name: 'Save limits' }).click();
    await expect.poll(() => card.textContent()).toContain('Sending limits saved');
    await expect.poll(() => usage.getByRole('row', { name: /Per hour/ }).textContent()).toContain('0 / 50');
    expect((await platform.admin('GET', `/admin/v1/bridges/${bridge.id}`)).body.limits).toEqual({
      perHour: 50,
      perDay: 2,
    });
    expect(await seriousViolations(page)).toEqual([]);
    expect(await unlabelled(page)).toEqual([]);
  });

  it('reaches every action by keyboard alone', async () => {
    await page.goto('about:blank');
    // The only Bridge is deleted by now: listed on request.
    await page.goto(`${platform.urls.admin}/#/bridges?deleted=1`);
    await page.getByRole('heading', { name: 'Bridges', level: 1 }).waitFor();
    // Tab through the page: the skip link, the menu, "Create Bridge" and every row action get focus.
    const focused: string[] = [];
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab');
      focused.push(await focusedText());
    }
    for (const name of [
      'Skip to content',
      'Bridges',
      'Pools & IPs',
      'Audit log',
      'Create Bridge',
      'Actions ▾',
      'Log out',
    ]) {
      expect(focused).toContain(name);
    }
    await page.getByRole('button', { name: 'Create Bridge' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Create Bridge' });
    await dialog.waitFor();
    // Focus moves into the dialog; Escape closes it.
    expect(await page.evaluate<boolean>(`document.activeElement?.closest('dialog') !== null`)).toBe(true);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    // Every page: labelled fields, named buttons and links.
    for (const route of ['#/bridges', '#/stats', '#/pools', '#/suppressions', '#/audit', '#/queues']) {
      await page.goto(`${platform.urls.admin}/${route}`);
      await page.locator('main h1').waitFor();
      expect({ route, problems: await unlabelled(page) }).toEqual({ route, problems: [] });
    }
    await page.goto(`${platform.urls.admin}/#/audit`);
    await expect.poll(() => page.locator('tbody tr').count()).toBeGreaterThan(3);
    expect(await page.locator('tbody').textContent()).toContain('bridge.rotate');
  });

  it('creates a template, shows where it stops compiling, previews the missing variables and deletes it', async () => {
    await page.goto(`${platform.urls.admin}/#/bridges`);
    await nav().getByRole('link', { name: 'Templates' }).click();
    await page.getByRole('heading', { name: 'Templates', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'New template' }).click();
    const editor = page.getByRole('form', { name: 'New template' });
    await editor.getByLabel('Name').fill('Welcome');
    await editor.getByLabel('Alias').fill('welcome');
    await editor.getByLabel('Subject').fill('Welcome {{name}}');
    await editor.getByLabel('HTML').fill('<p>Hi {{name}}</p>\n<ul>{{#items}}<li>{{sku}}</li>\n</ul>');
    await editor.getByRole('button', { name: 'Create template' }).click();
    const alert = editor.getByRole('alert');
    await expect.poll(() => alert.textContent()).toContain('HTML does not compile at line 2, column 5');
    expect(await editor.getByLabel('HTML').getAttribute('aria-invalid')).toBe('true');
    // The caret is put where the section opens.
    expect(await page.evaluate<number>('document.activeElement.selectionStart')).toBe(
      '<p>Hi {{name}}</p>\n<ul>'.length,
    );
    expect(await seriousViolations(page)).toEqual([]);
    await editor.getByLabel('HTML').fill('<p>Hi {{name}}</p><ul>{{#items}}<li>{{sku}}</li>{{/items}}</ul>');
    await editor.getByRole('button', { name: 'Create template' }).click();
    await page.getByRole('form', { name: 'Edit template welcome' }).waitFor();
    await expect.poll(() => page.getByTestId('template-row').count()).toBe(1);

    await page.getByLabel('Model (JSON)').fill('{"name": "<Ann>", "items": [{"sku": "a-1"}, {}]}');
    await page.getByRole('button', { name: 'Preview', exact: true }).click();
    await expect.poll(() => page.getByTestId('missing-variables').textContent()).toBe('Missing variables: items.sku');
    expect(await page.getByTestId('template-preview').textContent()).toContain('<p>Hi &lt;Ann&gt;</p>');
    expect(await seriousViolations(page)).toEqual([]);
    expect(await unlabelled(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'console-templates.png'), fullPage: true });

    await page.getByRole('button', { name: 'Delete template welcome' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete template' }).click();
    await expect.poll(() => page.getByTestId('template-row').count()).toBe(0);
    expect((await platform.admin('GET', '/admin/v1/templates')).body.data).toEqual([]);
  });

  it('marks a sandbox Bridge in the list and on its page, and switches its mode', async () => {
    const pools = (await platform.admin('GET', '/admin/v1/pools')).body.data as { id: string }[];
    const bridge = await platform.createBridge('sandbox-console-app', pools[0]?.id ?? '', { mode: 'sandbox' });
    await page.goto(`${platform.urls.admin}/#/bridges`);
    const row = page.locator(`tr[data-bridge-id="${bridge.id}"]`);
    await expect.poll(() => row.getByTestId('mode').textContent()).toBe('Sandbox');
    await row.getByRole('link', { name: 'sandbox-console-app' }).click();
    const card = page.getByRole('region', { name: 'Mode' });
    await card.waitFor();
    expect(await card.getByRole('radio', { name: /^Sandbox/ }).isChecked()).toBe(true);
    const badge = page.locator('.title-row').getByTestId('mode');
    expect(await badge.textContent()).toBe('Sandbox');
    expect(await seriousViolations(page)).toEqual([]);
    expect(await unlabelled(page)).toEqual([]);
    await card.getByRole('radio', { name: /^Live/ }).check();
    await expect.poll(() => card.textContent()).toContain('Live: mail is sent');
    await expect.poll(() => badge.count()).toBe(0);
    expect((await platform.admin('GET', `/admin/v1/bridges/${bridge.id}`)).body.mode).toBe('live');
  });

  it('turns one-click unsubscribe on beside the tracking toggles, and shows the Unsubscribes tile', async () => {
    const pools = (await platform.admin('GET', '/admin/v1/pools')).body.data as { id: string }[];
    const bridge = await platform.createBridge('unsubscribe-console-app', pools[0]?.id ?? '');
    await page.goto(`${platform.urls.admin}/#/bridges/${bridge.id}`);
    const card = page.getByRole('region', { name: 'Tracking' });
    const toggle = card.getByLabel(/One-click unsubscribe/);
    await toggle.waitFor();
    expect(await toggle.isChecked()).toBe(false);
    // The Bridge reloads slowly after the change: the box keeps its new state meanwhile.
    const bridgeUrl = `**/admin/v1/bridges/${bridge.id}`;
    await page.route(bridgeUrl, async (route) => {
      if (route.request().method() === 'GET') await new Promise((r) => setTimeout(r, 1500));
      await route.continue();
    });
    await toggle.check();
    await expect.poll(() => card.textContent()).toContain('One-click unsubscribe on');
    expect(await toggle.isChecked()).toBe(true);
    // Waits for the delayed reload to go through before the route is gone.
    await page.unrouteAll({ behavior: 'wait' });
    expect((await platform.admin('GET', `/admin/v1/bridges/${bridge.id}`)).body.listUnsubscribe).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    expect(await unlabelled(page)).toEqual([]);
    await page.goto(`${platform.urls.admin}/#/bridges/${bridge.id}/stats`);
    await expect.poll(() => page.getByTestId('tile-unsubscribes').textContent()).toBe('0');
    expect(await page.getByTestId('tile-unsubscribes-sub').textContent()).toBe('— of delivered');
  });

  it('shows every queue in bull-board behind the same login, and logs out', async () => {
    const pools = (await platform.admin('GET', '/admin/v1/pools')).body.data as { id: string }[];
    await page.goto(`${platform.urls.admin}/#/queues`);
    await page.getByRole('heading', { name: 'Queues', level: 1 }).waitFor();
    await expect.poll(() => page.locator('main').textContent()).toContain(`pool-${pools[0]?.id}`);
    expect(await page.locator('main').textContent()).toContain('analytics-writer');
    await page.goto(`${platform.urls.admin}/queues`);
    for (const name of [...pools.map((p) => `pool-${p.id}`), 'inbound-reports', 'webhooks']) {
      await page.getByText(name, { exact: false }).first().waitFor({ timeout: 15_000 });
    }
    await page.screenshot({ path: join(SHOTS, 'console-queues.png') });
    await page.goto(platform.urls.admin);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Admin token').waitFor();
    await page.goto(`${platform.urls.admin}/queues`);
    expect(page.url()).toContain('#/login?next=%2Fqueues');
    await page.getByLabel('Admin token').waitFor();
  });
});
