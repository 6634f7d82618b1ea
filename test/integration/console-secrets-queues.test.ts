import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConsole, launchBrowser, logIn } from '../support/browser.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { waitFor } from '../support/wait.js';

// In a real headless Chromium: a duplicate Bridge name is refused in the console's form, the code
// samples hide the API key and SMTP password until "Show secrets" (Copy still copies the real
// code), and bull-board's pages fetch nothing from another origin, under a strict CSP. Nor does
// any page of the console itself, each shown with data in it.
const MASK = '••••••••';
const SHOTS = resolve(import.meta.dirname, '../../test-results');

describe('console: unique names, masked samples, bull-board on our origin only', () => {
  let sink: SmtpSink;
  let platform: TestPlatform;
  let built: { dir: string; remove: () => Promise<void> };
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  const requests: string[] = [];
  const violations: string[] = [];
  let bridge: any;
  let mailer: any;
  let messageId = '';

  beforeAll(async () => {
    built = await buildConsole();
    sink = await startSmtpSink();
    platform = await startTestPlatform({
      BRIDGEMAIL_MX_OVERRIDE: sink.mxOverride,
      BRIDGEMAIL_CONSOLE_DIR: built.dir,
      BRIDGEMAIL_SQL_PORT: '0',
      // The Bridge's webhook points at the loopback sink's side of the machine.
      BRIDGEMAIL_WEBHOOK_ALLOW_PRIVATE: '1',
    });
    browser = await launchBrowser();
    browser.context.on('request', (r) => requests.push(r.url()));
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: platform.urls.admin });
    page = await browser.context.newPage();
    page.on('pageerror', (err) => violations.push(String(err)));
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
    });
    const pool = await platform.createPool('shop-pool', ['127.0.0.2']);
    bridge = await platform.createBridge('Shop', pool.id);
    // Something on every page: a message delivered, a webhook, a suppression, a template, an
    // account and an analyst.
    // The message goes through a Pool of its own: the Shop Pool's queue stays empty (bull-board says so).
    mailer = await platform.createBridge('Mailer', (await platform.createPool('mail-pool', ['127.0.0.3'])).id);
    const sent = await platform.send(mailer.apiKey, {
      from: 'app@shop.test',
      to: 'reader@example.test',
      subject: 's',
      text: 't',
    });
    expect(sent.status).toBe(202);
    messageId = ((await sent.json()) as { id: string }).id;
    const made = await Promise.all([
      platform.admin('POST', `/admin/v1/bridges/${bridge.id}/webhooks`, {
        url: 'http://127.0.0.1:9/shop-hook',
        eventTypes: ['delivered'],
      }),
      platform.admin('POST', '/admin/v1/suppressions', { address: 'gone@example.test', bridgeId: bridge.id }),
      platform.admin('POST', '/admin/v1/templates', {
        name: 'Receipt',
        alias: 'receipt',
        subject: 'Hi {{name}}',
        text: 'Hi',
      }),
      platform.admin('POST', '/admin/v1/accounts', { name: 'shop-account' }),
      platform.admin('POST', '/admin/v1/analysts', { name: 'grafana' }),
    ]);
    expect(made.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    await waitFor(async () => (await platform.stats(mailer.id)).delivered === 1, 30_000, 'the message delivered');
    await logIn(page, platform.urls.admin, platform.adminToken);
  });
  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
    await sink?.close();
    await built?.remove();
  });

  it('says in the Create Bridge form that the name is taken', async () => {
    await page.getByRole('button', { name: 'Create Bridge' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create Bridge' });
    await dialog.getByLabel('Name').fill('  shop ');
    await dialog.getByRole('button', { name: 'Create' }).click();
    const alert = dialog.getByRole('alert');
    await expect.poll(() => alert.textContent()).toContain('BRIDGE_NAME_TAKEN');
    expect(await alert.textContent()).toContain('a Bridge named "Shop" already exists');
    const live = (await platform.admin('GET', '/admin/v1/bridges')).body.data as { name: string }[];
    expect(live.map((b) => b.name).sort()).toEqual(['Mailer', 'Shop']);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });

  it('masks the API key and SMTP password in every sample until "Show secrets"; Copy copies the real code', async () => {
    const { apiKey, smtp } = bridge;
    const samples = (await platform.admin('GET', `/admin/v1/bridges/${bridge.id}/samples`)).body.data as {
      language: string;
      variant: string;
      code: string;
    }[];
    await page.goto(`${platform.urls.admin}/#/bridges/${bridge.id}`);
    const card = page.locator('section[aria-labelledby="samples-h"]');
    await card.getByRole('tab', { name: 'cURL' }).waitFor();
    const panels = card.getByRole('tabpanel');
    await expect.poll(() => panels.first().textContent()).toContain(MASK);

    // Every tab of both groups, hidden: neither secret anywhere in the card.
    for (const tab of ['cURL', 'PHP', 'Node', 'Python', 'Bash', 'PHPMailer', 'Nodemailer', 'Python smtplib', 'swaks']) {
      await card.getByRole('tab', { name: tab, exact: true }).click();
      const text = (await card.textContent()) ?? '';
      expect(text, tab).not.toContain(apiKey);
      expect(text, tab).not.toContain(smtp.password);
      expect(text, tab).toContain(MASK);
    }
    expect(await card.textContent()).toContain(smtp.username);
    await mkdir(SHOTS, { recursive: true });
    await card.screenshot({ path: join(SHOTS, 'console-samples-masked.png') });

    await card.getByRole('tab', { name: 'cURL', exact: true }).click();
    await card.getByRole('button', { name: 'Copy cURL json sample' }).click();
    const copied = await page.evaluate<string>('navigator.clipboard.readText()');
    expect(copied).toBe(samples.find((s) => s.language === 'curl' && s.variant === 'json')?.code);
    expect(copied).toContain(apiKey);

    await card.getByRole('button', { name: 'Show secrets' }).click();
    expect(await card.getByRole('button', { name: 'Hide secrets' }).getAttribute('aria-pressed')).toBe('true');
    await expect.poll(() => panels.first().textContent()).toContain(apiKey);
    await card.getByRole('tab', { name: 'swaks', exact: true }).click();
    expect(await card.textContent()).toContain(smtp.password);
    await card.getByRole('button', { name: 'Hide secrets' }).click();
    expect(await card.textContent()).not.toContain(smtp.password);
  });

  it('serves bull-board (/queues and a queue page) from our origin alone, under a strict CSP', async () => {
    const origin = new URL(platform.urls.admin).origin;
    requests.length = 0;
    const queueName = `pool-${bridge.poolId}`;
    const pages: [string, () => Promise<void>][] = [
      ['/queues', () => page.getByText(queueName).first().waitFor({ timeout: 15_000 })],
      [
        `/queues/queue/${encodeURIComponent(queueName)}`,
        // The Pool's queue is empty: its page says so once its data came in.
        () => page.getByText('No latest jobs in this queue.').waitFor({ timeout: 15_000 }),
      ],
    ];
    for (const [path, loaded] of pages) {
      const res = (await page.goto(`${origin}${path}`)) as Response;
      expect(res.status(), path).toBe(200);
      await loaded();
      await page.waitForLoadState('networkidle');
      await page.screenshot({ path: join(SHOTS, `bull-board-${path === '/queues' ? 'list' : 'queue'}.png`) });
      const csp = res.headers()['content-security-policy'] ?? '';
      const directives = new Map(
        csp.split(';').map((d) => {
          const [name = '', ...values] = d.trim().split(/\s+/);
          return [name, values] as const;
        }),
      );
      expect(directives.get('default-src'), path).toEqual(["'self'"]);
      expect(directives.get('script-src'), path).toEqual(["'self'"]);
      expect(directives.get('connect-src'), path).toEqual(["'self'"]);
      expect(directives.get('frame-ancestors'), path).toEqual(["'none'"]);
      expect(csp, path).not.toMatch(/unsafe-eval|\*|https?:/);
      expect(res.headers()['x-content-type-options']).toBe('nosniff');
      const html = await res.text();
      expect(html, path).not.toMatch(/fonts\.googleapis|https?:\/\/(?!www\.w3\.org)/);
    }
    expect(requests.length).toBeGreaterThan(4);
    const outside = requests.filter((url) => !url.startsWith('data:') && new URL(url).origin !== origin);
    expect(outside).toEqual([]);
    expect(violations).toEqual([]);
  });

  it('requests nothing outside our origin on any console page, each shown with its data', async () => {
    const origin = new URL(platform.urls.admin).origin;
    const queueName = `pool-${bridge.poolId}`;
    const main = page.locator('main');
    /** Each route of the console (admin-api/web/src/main.tsx) and what it shows once its data came in. */
    const routes: [string, () => Promise<unknown>][] = [
      [`#/bridges/${bridge.id}`, () => page.getByText('http://127.0.0.1:9/shop-hook').waitFor()],
      [
        `#/bridges/${mailer.id}/stats`,
        () => expect.poll(() => page.getByTestId('tile-total-sent').textContent()).toBe('1'),
      ],
      ['#/stats', () => page.locator(`tr[data-bridge-id="${bridge.id}"]`).waitFor()],
      ['#/activity', () => page.getByTestId('activity-row').first().waitFor()],
      [`#/activity/${messageId}`, () => page.getByTestId('timeline-event').first().waitFor()],
      ['#/pools', () => main.getByText('shop-pool').first().waitFor()],
      ['#/suppressions', () => main.getByText('gone@example.test').first().waitFor()],
      ['#/templates', () => main.getByText('receipt').first().waitFor()],
      ['#/accounts', () => main.getByText('shop-account').first().waitFor()],
      ['#/analysts', () => page.getByTestId('analyst-row').first().waitFor()],
      ['#/audit', () => main.getByText('template.create').first().waitFor()],
      ['#/queues', () => main.getByText(queueName).first().waitFor()],
      [
        // Last: the login lands on it, so going there first would ask for nothing new.
        '#/bridges',
        () =>
          expect
            .poll(() => page.locator(`tr[data-bridge-id="${mailer.id}"] [data-testid="sent-24h"]`).textContent())
            .toBe('1'),
      ],
    ];
    // The login page too: log out, then in again.
    await page.goto(`${platform.urls.admin}/#/bridges`);
    requests.length = 0;
    await page.getByRole('button', { name: 'Log out' }).click();
    await logIn(page, platform.urls.admin, platform.adminToken);
    const seen: Record<string, number> = {};
    for (const [route, loaded] of routes) {
      const before = requests.length;
      await page.goto(`${platform.urls.admin}/${route}`);
      await page.locator('main h1').waitFor();
      await loaded();
      await expect.poll(() => page.locator('.loading').count()).toBe(0);
      await page.waitForLoadState('networkidle');
      seen[route] = requests.length - before;
    }
    // bull-board: the list, an empty queue's page and the page of the queue the message went through.
    const busy = `pool-${mailer.poolId}`;
    const boards: [string, string][] = [
      ['/queues', queueName],
      [`/queues/queue/${encodeURIComponent(queueName)}`, 'No latest jobs in this queue.'],
      [`/queues/queue/${encodeURIComponent(busy)}`, busy],
    ];
    for (const [path, shown] of boards) {
      const before = requests.length;
      await page.goto(`${origin}${path}`);
      await page.getByText(shown).first().waitFor();
      await page.waitForLoadState('networkidle');
      seen[path] = requests.length - before;
    }
    // Every page asked the platform for something (its API calls at least): the listener saw them.
    expect(Object.entries(seen).filter(([, n]) => n === 0)).toEqual([]);
    const inline = requests.filter((url) => url.startsWith('data:') || url.startsWith('blob:'));
    console.log(`console pages: ${requests.length} requests, ${inline.length} data:/blob: URLs`, seen);
    const outside = requests.filter(
      (url) => !url.startsWith('data:') && !url.startsWith('blob:') && new URL(url).origin !== origin,
    );
    expect(outside).toEqual([]);
    expect(violations).toEqual([]);
  });
});
