import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousViolations } from '../support/axe.js';
import { buildConsole, launchBrowser, logIn as logInAt } from '../support/browser.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';

// The console with accounts, in headless Chromium: the operator manages accounts and their tokens;
// an account's token opens a console that shows that account's Bridges only.
describe('web console: accounts and account tokens', () => {
  let platform: TestPlatform;
  let console_: { dir: string; remove: () => Promise<void> };
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  const pageErrors: string[] = [];
  let acme: { id: string; token: string; tokenId: string; bridge: string };
  let theirs: string;

  beforeAll(async () => {
    console_ = await buildConsole();
    platform = await startTestPlatform({ BRIDGEMAIL_CONSOLE_DIR: console_.dir });
    const pool = await platform.createPool('shared', ['127.0.0.2']);
    const account = (await platform.admin('POST', '/admin/v1/accounts', { name: 'acme' })).body;
    const token = (await platform.admin('POST', `/admin/v1/accounts/${account.id}/tokens`, { name: 'console' })).body;
    const bridge = await platform.createBridge('acme-app', pool.id, { accountId: account.id });
    acme = { id: account.id, token: token.token, tokenId: token.id, bridge: bridge.id };
    theirs = (await platform.createBridge('operator-app', pool.id)).id;
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on('pageerror', (err) => pageErrors.push(String(err)));
  });
  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
    await console_?.remove();
  });

  const nav = () => page.getByRole('navigation', { name: 'Main' });
  const logIn = (token: string) => logInAt(page, platform.urls.admin, token);

  it('lets the operator create an account and issue and revoke its token', async () => {
    await logIn(platform.adminToken);
    await nav().getByRole('link', { name: 'Accounts' }).click();
    await page.getByRole('heading', { name: 'Accounts', level: 1 }).waitFor();
    await page.getByLabel('Account name').fill('globex');
    await page.getByRole('button', { name: 'Create account' }).click();
    const card = page.getByRole('article', { name: 'Account globex' });
    await card.waitFor();
    await card.getByLabel('Token name').fill('ci');
    await card.getByRole('button', { name: 'Create token' }).click();
    const shown = card.getByLabel('New token (shown once)', { exact: true });
    await shown.waitFor();
    const secret = await shown.inputValue();
    expect(secret).toMatch(/^bma_/);
    // The token works on the admin API, then stops once revoked from the console.
    const headers = { authorization: `Bearer ${secret}` };
    expect((await fetch(`${platform.urls.admin}/admin/v1/bridges`, { headers })).status).toBe(200);
    await card.getByRole('button', { name: 'Revoke ci' }).click();
    await expect.poll(() => card.getByRole('row', { name: /ci/ }).textContent()).toContain('revoked');
    expect((await fetch(`${platform.urls.admin}/admin/v1/bridges`, { headers })).status).toBe(401);
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Admin token').waitFor();
  });

  it("shows an account's session its own Bridges and stats only, and none of the operator's pages", async () => {
    await logIn(acme.token);
    await expect.poll(() => page.locator('header').textContent()).toContain('Account: acme');
    const links = await nav().getByRole('link').allTextContents();
    expect(links).toEqual(['Bridges', 'Activity', 'Stats', 'Suppressions', 'Templates']);
    await page.locator(`tr[data-bridge-id="${acme.bridge}"]`).waitFor();
    expect(await page.locator('tr[data-bridge-id]').count()).toBe(1);
    expect(await page.locator(`tr[data-bridge-id="${theirs}"]`).count()).toBe(0);
    await nav().getByRole('link', { name: 'Stats' }).click();
    await expect.poll(() => page.locator('main').textContent()).toContain('acme-app');
    expect(await page.locator('main').textContent()).not.toContain('operator-app');
    // The operator's queue dashboard is not the account's.
    const board = await page.request.get(`${platform.urls.admin}/queues/api/queues`, {
      headers: { accept: 'application/json' },
    });
    expect(board.status()).toBe(401);
    expect(await seriousViolations(page)).toEqual([]);

    // Revoking the token ends its session: the next call brings the login page back.
    await platform.admin('DELETE', `/admin/v1/accounts/${acme.id}/tokens/${acme.tokenId}`);
    await nav().getByRole('link', { name: 'Bridges', exact: true }).click();
    await page.getByLabel('Admin token').waitFor();
    expect(pageErrors).toEqual([]);
  });

  it('creates a dedicated Pool for an account on its plan, and moves its Bridges there, credentials kept', async () => {
    const before = (await platform.admin('GET', `/admin/v1/bridges/${acme.bridge}`)).body;
    await logIn(platform.adminToken);
    await nav().getByRole('link', { name: 'Accounts' }).click();
    const card = page.getByRole('article', { name: 'Account acme' });
    await card.getByRole('button', { name: 'Allow dedicated IPs' }).click();
    await expect.poll(() => card.textContent()).toContain('dedicated IPs');
    await nav().getByRole('link', { name: 'Pools & IPs' }).click();
    const create = page.getByRole('form', { name: 'Create Pool' });
    await create.getByLabel('Pool name').fill('acme-own');
    await create.getByLabel('IPs (comma separated)').fill('127.0.0.3');
    await create.getByLabel('Used by').selectOption({ label: 'Dedicated to acme' });
    await create.getByRole('button', { name: 'Create Pool' }).click();
    const poolCard = page.getByRole('region', { name: 'acme-own' });
    await expect.poll(() => poolCard.getByTestId('pool-owner').textContent()).toBe('Dedicated to acme');
    const dedicated = (
      (await platform.admin('GET', '/admin/v1/pools')).body.data as { id: string; name: string }[]
    ).find((p) => p.name === 'acme-own')!;

    await nav().getByRole('link', { name: 'Accounts' }).click();
    const move = card.getByRole('form', { name: 'Move the Bridges of acme to another Pool' });
    await move.getByLabel('Move Bridges from').selectOption({ label: 'shared (shared)' });
    await move.getByLabel('to').selectOption({ label: 'acme-own (dedicated)' });
    await move.getByRole('button', { name: 'Move Bridges' }).click();
    const dialog = page.getByRole('dialog', { name: 'Move the Bridges of acme from shared to acme-own?' });
    expect(await dialog.textContent()).toContain('credentials and code stay the same');
    await dialog.getByRole('button', { name: 'Move Bridges' }).click();
    await expect
      .poll(() => page.locator('main').textContent())
      .toContain('acme: Bridges moved from shared to acme-own');
    const after = (await platform.admin('GET', `/admin/v1/bridges/${acme.bridge}`)).body;
    expect(after.poolId).toBe(dedicated.id);
    expect([after.id, after.name, after.apiKey, after.smtp.username, after.smtp.password]).toEqual([
      before.id,
      before.name,
      before.apiKey,
      before.smtp.username,
      before.smtp.password,
    ]);
    // The operator's own Bridge stays where it was.
    expect((await platform.admin('GET', `/admin/v1/bridges/${theirs}`)).body.poolId).toBe(before.poolId);
    expect(await seriousViolations(page)).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
