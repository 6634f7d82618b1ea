import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import nodemailer from 'nodemailer';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousViolations } from '../support/axe.js';
import { buildConsole, CHROMIUM } from '../support/browser.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { waitFor } from '../support/wait.js';
import { arfComplaint } from '../support/arf.js';

// The console fits a phone (390 × 844) as well as a desktop: no page scrolls sideways, the
// navigation folds behind a Menu button, tables read as cards, and each Bridge row has one
// actions menu (mouse and keyboard). The Bridges list searches by name and shows the complaint
// rate and the last send. Screenshots of every page at both sizes go to test-results/.
const SHOTS = resolve(import.meta.dirname, '../../test-results');
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'];
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
/** Between the two: a tablet (navigation folded, tables as cards) and a small laptop (tables as tables). */
const TABLET = { width: 700, height: 1000 };
const LAPTOP = { width: 1000, height: 800 };

describe('console layout on a phone and a desktop', () => {
  let sink: SmtpSink;
  let platform: TestPlatform;
  let built: { dir: string; remove: () => Promise<void> };
  let browser: Browser;
  let phone: Page;
  let desktop: Page;
  let tablet: Page;
  let laptop: Page;
  const pageErrors: string[] = [];
  let alpha: any;
  let quiet: any;
  let lastSentAt: string;
  let messageId = '';

  const open = async (context: BrowserContext): Promise<Page> => {
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    await page.goto(platform.urls.admin);
    await page.getByLabel('Admin token').fill(platform.adminToken);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Bridges', level: 1 }).waitFor();
    return page;
  };

  beforeAll(async () => {
    built = await buildConsole();
    sink = await startSmtpSink();
    platform = await startTestPlatform({
      BRIDGEMAIL_MX_OVERRIDE: sink.mxOverride,
      BRIDGEMAIL_CONSOLE_DIR: built.dir,
      BRIDGEMAIL_SQL_PORT: '0',
    });
    const pool = await platform.createPool('layout-pool-with-a-rather-long-name', ['127.0.0.2']);
    alpha = await platform.createBridge('alpha-newsletters-and-receipts', pool.id, { trackOpens: true });
    quiet = await platform.createBridge('quiet', pool.id);
    await platform.createBridge('beta', pool.id);
    expect(
      (await platform.admin('POST', '/admin/v1/suppressions', { address: 'nobody@example.test', bridgeId: alpha.id }))
        .status,
    ).toBe(201);
    // Templates, Accounts and Analysts with a row each, long names included.
    const made = await Promise.all([
      platform.admin('POST', '/admin/v1/templates', {
        name: 'Order confirmation with a long name',
        alias: 'order-confirmation-with-a-long-alias',
        subject: 'Your order {{id}} from {{shop}} is confirmed',
        text: 'Hello {{name}}',
      }),
      platform.admin('POST', '/admin/v1/accounts', { name: 'customer-account-with-a-long-name' }),
      platform.admin('POST', '/admin/v1/analysts', { name: 'grafana-dashboards' }),
    ]);
    expect(made.map((r) => r.status)).toEqual([201, 201, 201]);
    // The aggregates keep minutes: the last send is at or after the minute the first send started in.
    const firstMinute = Math.floor(Date.now() / 60_000) * 60_000;
    const ids: string[] = [];
    for (const to of ['reader@example.test', 'angry@example.test']) {
      const res = await platform.send(alpha.apiKey, { from: 'app@layout.test', to, subject: 's', text: 't' });
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { id: string }).id);
    }
    await waitFor(async () => (await platform.stats(alpha.id)).delivered === 2, 30_000, 'two delivered');
    messageId = ids[0]!;
    const mx = nodemailer.createTransport({
      host: '127.0.0.1',
      port: platform.ports.mx,
      secure: false,
      // The MX's certificate is the test platform's own, self-signed.
      tls: { rejectUnauthorized: false },
    });
    await mx.sendMail({
      envelope: { from: 'feedback@isp.example.test', to: ['fbl@bridgemail.test'] },
      raw: arfComplaint('angry@example.test', ids[1]!),
    });
    await waitFor(async () => (await platform.stats(alpha.id)).complaints === 1, 30_000, 'the complaint counted');
    const compared = await platform.admin('GET', '/admin/v1/stats/bridges');
    lastSentAt = compared.body.data.find((b: any) => b.bridgeId === alpha.id).lastSentAt;
    expect(Date.parse(lastSentAt)).toBeGreaterThanOrEqual(firstMinute);
    expect(Date.parse(lastSentAt)).toBeLessThanOrEqual(Date.now());
    expect(compared.body.data.find((b: any) => b.bridgeId === quiet.id).lastSentAt).toBeNull();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    phone = await open(await browser.newContext({ viewport: PHONE, timezoneId: 'UTC' }));
    desktop = await open(await browser.newContext({ viewport: DESKTOP, timezoneId: 'UTC' }));
    tablet = await open(await browser.newContext({ viewport: TABLET, timezoneId: 'UTC' }));
    laptop = await open(await browser.newContext({ viewport: LAPTOP, timezoneId: 'UTC' }));
    await mkdir(SHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
    await sink?.close();
    await built?.remove();
  });

  const row = (page: Page, name: string | RegExp) => page.getByRole('row', { name });
  const sideways = (page: Page) =>
    page.evaluate<{ scroll: number; inner: number }>(
      '({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth })',
    );
  /** Opens a route and waits for its heading and its data (no loading indicator left). */
  const visit = async (page: Page, route: string) => {
    await page.goto(`${platform.urls.admin}/${route}`);
    await page.locator('main h1').waitFor();
    await expect.poll(() => page.locator('.loading').count(), { timeout: 15_000 }).toBe(0);
  };

  it('shows every page without sideways scrolling at 390, 700, 1000 and 1280 px wide', async () => {
    // The last four with what their data shows, so an empty page cannot pass for a narrow one.
    const routes: [string, string, string?][] = [
      ['bridges', '#/bridges'],
      ['bridge-detail', `#/bridges/${alpha.id}`],
      ['stats', `#/bridges/${alpha.id}/stats`],
      ['compare', '#/stats'],
      ['activity', '#/activity'],
      ['pools', '#/pools'],
      ['suppressions', '#/suppressions'],
      ['audit', '#/audit'],
      ['queues', '#/queues'],
      ['analysts', '#/analysts', 'grafana-dashboards'],
      ['templates', '#/templates', 'order-confirmation-with-a-long-alias'],
      ['accounts', '#/accounts', 'customer-account-with-a-long-name'],
      ['timeline', `#/activity/${messageId}`, 'reader@example.test'],
    ];
    for (const [name, route, shown] of routes) {
      for (const [size, page] of [
        ['phone', phone],
        ['desktop', desktop],
        ['tablet', tablet],
        ['laptop', laptop],
      ] as const) {
        await visit(page, route);
        if (shown) await page.locator('main').getByText(shown).first().waitFor();
        const { scroll, inner } = await sideways(page);
        expect({ route, size, scroll }).toEqual({ route, size, scroll: Math.min(scroll, inner) });
        if (size === 'tablet' || size === 'laptop') continue;
        expect({ route, size, axe: await seriousViolations(page) }).toEqual({ route, size, axe: [] });
        await page.screenshot({ path: join(SHOTS, `layout-${size}-${name}.png`), fullPage: true });
      }
    }
    // On a phone the tables are cards: each cell carries its column's name.
    await visit(phone, '#/bridges');
    const cell = row(phone, /alpha-newsletters/).getByTestId('complaint-rate-24h');
    expect(await cell.getAttribute('data-label')).toBe('Complaint rate (24 h)');
    expect(await cell.evaluate((el) => el.ownerDocument.defaultView!.getComputedStyle(el, '::before').content)).toBe(
      '"Complaint rate (24 h)"',
    );
    expect(pageErrors).toEqual([]);
  });

  it('folds the navigation behind a Menu button on a phone', async () => {
    await visit(phone, '#/bridges');
    const toggle = phone.getByRole('button', { name: 'Menu' });
    const nav = phone.getByRole('navigation', { name: 'Main' });
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    expect(await nav.isVisible()).toBe(false);
    await toggle.click();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    await nav.getByRole('link', { name: 'Suppressions' }).waitFor();
    expect((await sideways(phone)).scroll).toBeLessThanOrEqual(PHONE.width);
    await phone.screenshot({ path: join(SHOTS, 'layout-phone-nav-open.png') });
    await nav.getByRole('link', { name: 'Suppressions' }).click();
    await phone.getByRole('heading', { name: 'Suppression list', level: 1 }).waitFor();
    // A new page folds the navigation again.
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    expect(await nav.isVisible()).toBe(false);
    // On a desktop the navigation is always shown and there is no Menu button.
    await visit(desktop, '#/bridges');
    expect(await desktop.getByRole('button', { name: 'Menu' }).isVisible()).toBe(false);
    expect(await desktop.getByRole('navigation', { name: 'Main' }).isVisible()).toBe(true);
  });

  it('puts the row actions in one menu, by mouse', async () => {
    await visit(desktop, '#/bridges');
    const alphaRow = row(desktop, /alpha-newsletters/);
    expect(await alphaRow.getByRole('button').count()).toBe(1);
    const button = alphaRow.getByRole('button', { name: 'Actions for alpha-newsletters-and-receipts' });
    expect(await button.getAttribute('aria-haspopup')).toBe('menu');
    await button.click();
    expect(await button.getAttribute('aria-expanded')).toBe('true');
    const menu = desktop.getByRole('menu');
    expect(await menu.getByRole('menuitem').allTextContents()).toEqual([
      'View SMTP details',
      'Download credentials',
      'Sending stats',
      'Rename',
      'Rotate',
      'Revoke',
      'Delete',
    ]);
    await desktop.screenshot({ path: join(SHOTS, 'layout-desktop-row-menu.png') });
    // A click elsewhere closes it.
    await desktop.getByRole('heading', { name: 'Bridges', level: 1 }).click();
    await expect.poll(() => menu.count()).toBe(0);
    await button.click();
    await menu.getByRole('menuitem', { name: 'Sending stats' }).click();
    await desktop.getByRole('heading', { name: /Sending stats/, level: 1 }).waitFor();
    expect(desktop.url()).toContain(`#/bridges/${alpha.id}/stats`);

    await visit(desktop, '#/bridges');
    await row(desktop, /^quiet/)
      .getByRole('button', { name: 'Actions for quiet' })
      .click();
    await desktop.getByRole('menuitem', { name: 'Rename' }).click();
    const dialog = desktop.getByRole('dialog', { name: 'Rename quiet' });
    await dialog.getByLabel('New name').fill('quiet-renamed');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await row(desktop, /quiet-renamed/).waitFor();
    expect((await platform.admin('GET', `/admin/v1/bridges/${quiet.id}`)).body.name).toBe('quiet-renamed');

    // On a phone the open menu stays inside the screen.
    await visit(phone, '#/bridges');
    await row(phone, /alpha-newsletters/)
      .getByRole('button', { name: /Actions for/ })
      .click();
    await phone.getByRole('menu').waitFor();
    expect((await sideways(phone)).scroll).toBeLessThanOrEqual(PHONE.width);
    const box = await phone.getByRole('menu').boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(PHONE.width);
    await phone.screenshot({ path: join(SHOTS, 'layout-phone-row-menu.png') });
    await phone.keyboard.press('Escape');
  });

  it('works the row menu by keyboard: Enter, arrows, Escape', async () => {
    await visit(desktop, '#/bridges');
    const button = row(desktop, /alpha-newsletters/).getByRole('button', { name: /Actions for/ });
    const focused = () => desktop.evaluate<string>(`document.activeElement?.textContent?.trim() ?? ''`);
    await button.focus();
    await desktop.keyboard.press('Enter');
    await expect.poll(focused).toBe('View SMTP details');
    await desktop.keyboard.press('ArrowDown');
    expect(await focused()).toBe('Download credentials');
    await desktop.keyboard.press('ArrowUp');
    await desktop.keyboard.press('ArrowUp');
    expect(await focused()).toBe('Delete');
    await desktop.keyboard.press('Home');
    expect(await focused()).toBe('View SMTP details');
    await desktop.keyboard.press('Escape');
    expect(await desktop.getByRole('menu').count()).toBe(0);
    expect(await button.getAttribute('aria-expanded')).toBe('false');
    expect(await focused()).toMatch(/^Actions/);
    // ArrowUp opens on the last item; ArrowDown on the first.
    await desktop.keyboard.press('ArrowUp');
    await expect.poll(focused).toBe('Delete');
    await desktop.keyboard.press('Escape');
    await desktop.keyboard.press('ArrowDown');
    await expect.poll(focused).toBe('View SMTP details');
    await desktop.keyboard.press('ArrowDown');
    await desktop.keyboard.press('ArrowDown');
    expect(await focused()).toBe('Sending stats');
    await desktop.keyboard.press('Enter');
    await desktop.getByRole('heading', { name: /Sending stats/, level: 1 }).waitFor();

    // Rename by keyboard alone.
    await visit(desktop, '#/bridges');
    await row(desktop, /^beta/)
      .getByRole('button', { name: /Actions for/ })
      .focus();
    await desktop.keyboard.press('Enter');
    await expect.poll(focused).toBe('View SMTP details');
    await desktop.keyboard.press('End');
    for (let i = 0; i < 3; i++) await desktop.keyboard.press('ArrowUp');
    expect(await focused()).toBe('Rename');
    await desktop.keyboard.press('Enter');
    const dialog = desktop.getByRole('dialog', { name: 'Rename beta' });
    await dialog.waitFor();
    await dialog.getByLabel('New name').fill('beta-keyboard');
    await desktop.keyboard.press('Enter');
    await row(desktop, /beta-keyboard/).waitFor();
  });

  it('searches the Bridges by name and shows complaint rate and last send', async () => {
    await visit(desktop, '#/bridges');
    const rows = desktop.locator('tbody tr');
    expect(await rows.count()).toBe(3);
    await desktop.getByLabel('Search by name').fill('ALPHA');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().getAttribute('data-bridge-id')).toBe(alpha.id);
    await desktop.getByLabel('Search by name').fill('no-such-name');
    await expect.poll(() => rows.count()).toBe(0);
    expect(await desktop.locator('main').textContent()).toContain('No Bridge name contains “no-such-name”');
    await desktop.getByLabel('Search by name').fill('');
    await expect.poll(() => rows.count()).toBe(3);

    const alphaRow = row(desktop, /alpha-newsletters/);
    // One complaint over two delivered.
    await expect.poll(() => alphaRow.getByTestId('complaint-rate-24h').textContent()).toBe('50.0%');
    expect(await alphaRow.getByTestId('bounce-rate-24h').textContent()).toBe('0.0%');
    const iso = new Date(lastSentAt).toISOString();
    expect(await alphaRow.getByTestId('last-send').textContent()).toBe(`${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`);
    const quietRow = row(desktop, /quiet-renamed/);
    expect(await quietRow.getByTestId('last-send').textContent()).toBe('never');
    expect(await quietRow.getByTestId('complaint-rate-24h').textContent()).toBe('—');
    await desktop.screenshot({ path: join(SHOTS, 'layout-desktop-bridges-final.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
