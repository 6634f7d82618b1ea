import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConsole, launchBrowser } from '../support/browser.js';
import { seriousViolations } from '../support/axe.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { waitFor } from '../support/wait.js';

// The console's Activity page in a real headless Chromium: find messages the platform really sent
// (one delivered, one bounced by the loopback sink), filter them, page with "Load more", and open a
// message's timeline from its row.
const SHOTS = resolve(import.meta.dirname, '../../test-results');

describe('console Activity page in headless Chromium', () => {
  let sink: SmtpSink;
  let platform: TestPlatform;
  let built: { dir: string; remove: () => Promise<void> };
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  const pageErrors: string[] = [];
  let deliveredId = '';
  let apiKey = '';

  beforeAll(async () => {
    built = await buildConsole();
    sink = await startSmtpSink((rcpt) =>
      rcpt.startsWith('unknown') ? { code: 550, message: '5.1.1 User unknown' } : undefined,
    );
    platform = await startTestPlatform({ BRIDGEMAIL_MX_OVERRIDE: sink.mxOverride, BRIDGEMAIL_CONSOLE_DIR: built.dir });
    const pool = await platform.createPool('activity-pool', ['127.0.0.2']);
    const bridge = await platform.createBridge('activity-app', pool.id);
    apiKey = bridge.apiKey;
    const send = async (to: string) => {
      const res = await platform.send(bridge.apiKey, { from: 'app@console.test', to, subject: 'activity', text: 'hi' });
      expect(res.status).toBe(202);
      return ((await res.json()) as { id: string }).id;
    };
    deliveredId = await send('reader@example.test');
    await send('unknown-reader@example.test');
    // Enough rows for a second page (the page asks for 50 at a time).
    for (let i = 0; i < 51; i++) await send(`bulk-${i}@example.test`);
    await waitFor(
      async () => {
        const r = await platform.admin('GET', '/admin/v1/messages?limit=100');
        return r.body.data.length === 53 && r.body.data.every((row: any) => row.state !== 'queued');
      },
      60_000,
      'every message delivered or bounced',
    );
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    await mkdir(SHOTS, { recursive: true });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
    await sink?.close();
    await built?.remove();
  });

  const rows = () => page.getByTestId('activity-row');
  // Wait on what the rows say, not how many there are: the last search's rows are as many.
  const recipientsShown = () => page.locator('[data-testid="activity-row"] th').allTextContents();

  it('finds a sent message, filters, loads more and opens its timeline', async () => {
    await page.goto(platform.urls.admin);
    await page.getByLabel('Admin token').fill(platform.adminToken);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Activity' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Activity');

    // Newest first, 50 a page; "Load more" brings the rest without repeating a row.
    await expect.poll(() => rows().count()).toBe(50);
    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => rows().count()).toBe(53);
    const recipients = await recipientsShown();
    expect(new Set(recipients).size).toBe(53);
    expect(recipients.at(-1)).toBe('reader@example.test');
    expect(await page.getByRole('button', { name: 'Load more' }).isDisabled()).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'activity-desktop.png'), fullPage: true });

    // Status filter: the bounced one only, with its reply.
    await page.getByLabel('Status').selectOption('bounced');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => recipientsShown()).toEqual(['unknown-reader@example.test']);
    expect(await rows().first().textContent()).toContain('User unknown');

    // Exact recipient, any status: the delivered message, named by its Bridge.
    await page.getByLabel('Status').selectOption('');
    await page.getByLabel('Recipient').fill('reader@example.test');
    await page.getByLabel('Bridge').selectOption({ label: 'activity-app' });
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => recipientsShown()).toEqual(['reader@example.test']);
    const row = rows().first();
    expect(await row.textContent()).toContain('delivered');
    expect(await row.textContent()).toContain('activity-app');

    // A day range that ends before today finds nothing, and says so.
    await page.getByLabel('To (UTC day, included)').fill('2020-01-01');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.getByText('No messages match.').count()).toBe(1);

    // The row links to the message's timeline.
    await page.getByLabel('To (UTC day, included)').fill('');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => recipientsShown()).toEqual(['reader@example.test']);
    await row.getByRole('link').click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(`Message ${deliveredId}`);
    await expect
      .poll(() => page.getByTestId('timeline-event').locator('th').allTextContents())
      .toEqual(['queued', 'sent', 'delivered']);
    await page.screenshot({ path: join(SHOTS, 'activity-timeline.png'), fullPage: true });

    // A bad filter is refused by the API and the page shows the field.
    await page.goto(`${platform.urls.admin}/#/activity`);
    await page.getByLabel('Recipient').fill('x'.repeat(400));
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('(recipient) [VALIDATION_FAILED]');
    expect(pageErrors).toEqual([]);
  });

  it('shows a scheduled message with its due time and cancels it after a confirmation, axe-clean', async () => {
    const due = new Date(Date.now() + 3600_000).toISOString();
    const res = await platform.send(apiKey, {
      from: 'app@console.test',
      to: 'later@example.test',
      subject: 'later',
      text: 'hi',
      sendAt: due,
    });
    const { id } = (await res.json()) as { id: string };
    await waitFor(
      async () => (await platform.admin('GET', '/admin/v1/messages?status=scheduled')).body.data.length === 1,
      30_000,
      'the scheduled row',
    );
    await page.goto(`${platform.urls.admin}/#/activity`);
    await page.getByLabel('Recipient').fill('later@example.test');
    await page.getByLabel('Status').selectOption('scheduled');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => recipientsShown()).toEqual(['later@example.test']);
    const row = rows().first();
    expect(await row.locator(`time[datetime="${due}"]`).count()).toBe(1);
    expect(await row.textContent()).toContain('due');
    expect(await seriousViolations(page)).toEqual([]);

    await row.getByRole('button', { name: 'Cancel message to later@example.test' }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel scheduled message' });
    expect(await dialog.textContent()).toContain(id);
    expect(await seriousViolations(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Cancel the message' }).click();
    await expect.poll(() => page.getByText(`Cancelled ${id} for 1 recipient(s).`).count()).toBe(1);

    // Its latest state becomes `cancelled` once the event is stored.
    await page.getByLabel('Status').selectOption('cancelled');
    await expect
      .poll(
        async () => {
          // Each Search clears the rows: count them once this search has answered.
          await page.getByRole('button', { name: 'Search' }).click();
          await rows().or(page.getByText('No messages match.')).first().waitFor();
          return rows().count();
        },
        { timeout: 30_000 },
      )
      .toBe(1);
    expect(await rows().first().getByRole('button').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
