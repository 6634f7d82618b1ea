import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConsole, launchBrowser, logIn } from '../support/browser.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';

// In a real headless Chromium: a duplicate Bridge name is refused in the console's form, the code
// samples hide the API key and SMTP password until "Show secrets" (Copy still copies the real
// code), and bull-board's pages fetch nothing from another origin, under a strict CSP.
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

  beforeAll(async () => {
    built = await buildConsole();
    sink = await startSmtpSink();
    platform = await startTestPlatform({ BRIDGEMAIL_MX_OVERRIDE: sink.mxOverride, BRIDGEMAIL_CONSOLE_DIR: built.dir });
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
    const live = (await platform.admin('GET', '/admin/v1/bridges')).body.data as unknown[];
    expect(live).toHaveLength(1);
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
});
