import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousViolations } from '../support/axe.js';
import { buildConsole, launchBrowser, logIn } from '../support/browser.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';

// In a real headless Chromium, an operator gives an analyst a credential of the SQL endpoint,
// the analyst queries with the secret the console showed once, and the operator revokes it.
describe('console: analysts of the SQL endpoint', () => {
  let platform: TestPlatform;
  let built: { dir: string; remove: () => Promise<void> };
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;

  /** A query on the SQL endpoint as `user`, as curl would send it. */
  const query = async (user: string, secret: string) => {
    const res = await fetch(`http://127.0.0.1:${platform.ports.sql}/`, {
      method: 'POST',
      body: 'SELECT 40 + 2',
      headers: { authorization: `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}` },
    });
    return { status: res.status, body: await res.text() };
  };

  beforeAll(async () => {
    built = await buildConsole();
    platform = await startTestPlatform({ BRIDGEMAIL_SQL_PORT: '0', BRIDGEMAIL_CONSOLE_DIR: built.dir });
    browser = await launchBrowser();
    page = await browser.context.newPage();
    await logIn(page, platform.urls.admin, platform.adminToken);
  });
  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
    await built?.remove();
  });

  it('says where the endpoint listens, shows a new secret once, and the analyst queries with it', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Analysts (SQL)' }).click();
    await page.getByRole('heading', { name: 'Analysts (SQL)', level: 1 }).waitFor();
    await expect.poll(() => page.getByTestId('sql-endpoint').textContent()).toContain(`:${platform.ports.sql}`);
    expect(await page.locator('main').textContent()).toContain('No analyst credentials yet.');
    const form = page.getByRole('form', { name: 'Create analyst credential' });
    await form.getByLabel('User name').fill('grafana');
    await form.getByRole('button', { name: 'Create credential' }).click();
    const card = page.getByRole('region', { name: 'Secret of grafana' });
    await card.waitFor();
    const secretField = card.getByLabel('Secret', { exact: true });
    expect(await secretField.getAttribute('type')).toBe('password');
    const secret = await secretField.inputValue();
    expect(secret.length).toBeGreaterThanOrEqual(20);
    expect(await card.getByLabel('First query', { exact: true }).inputValue()).toContain(
      `-u grafana:<secret> 'http://`,
    );
    expect(await query('grafana', secret)).toEqual({ status: 200, body: '42\n' });
    await expect.poll(() => page.getByTestId('analyst-row').count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);
    // The secret is never listed again: a reload shows the name only.
    await page.reload();
    await page.getByTestId('analyst-row').waitFor();
    expect(await page.getByRole('region', { name: 'Secret of grafana' }).count()).toBe(0);
    expect(await page.locator('main').textContent()).not.toContain(secret);
    expect((await platform.admin('GET', '/admin/v1/analysts')).body.endpoint).toEqual({
      host: expect.any(String) as unknown,
      port: platform.ports.sql,
    });
  });

  it('refuses a malformed user name in the form, and revokes a credential after asking', async () => {
    const form = page.getByRole('form', { name: 'Create analyst credential' });
    await form.getByLabel('User name').fill('has space');
    await form.getByRole('button', { name: 'Create credential' }).click();
    // The browser keeps the form (the field's pattern); nothing was created.
    expect(
      await form
        .getByLabel('User name')
        .evaluate((el) => (el as unknown as { validity: { valid: boolean } }).validity.valid),
    ).toBe(false);
    expect((await platform.admin('GET', '/admin/v1/analysts')).body.data).toHaveLength(1);
    const made = (await platform.admin('POST', '/admin/v1/analysts', { name: 'metabase' })).body as { secret: string };
    await page.reload();
    await expect.poll(() => page.getByTestId('analyst-row').count()).toBe(2);
    await page.getByRole('button', { name: 'Revoke metabase' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke analyst metabase?' });
    await dialog.getByRole('button', { name: 'Revoke credential' }).click();
    await expect.poll(() => page.getByTestId('analyst-row').count()).toBe(1);
    expect((await query('metabase', made.secret)).status).toBe(401);
    const audit = (await platform.admin('GET', '/admin/v1/audit?limit=20')).body.data as { action: string }[];
    expect(audit.map((a) => a.action)).toContain('analyst.revoke');
  });
});
