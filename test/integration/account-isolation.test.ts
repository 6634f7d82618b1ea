import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

/** An admin call with any bearer token; the body is JSON unless it is a string (sent as CSV). */
async function call(baseUrl: string, token: string, method: string, path: string, body?: unknown) {
  const csv = typeof body === 'string';
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': csv ? 'text/csv' : 'application/json' },
    body: body === undefined ? undefined : csv ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, text, body: json };
}

/** Operations that hold no account's data: the same answer to everyone. Adding one is a decision made here. */
const SHARED = new Set(['listEventTypes']);

describe('accounts: what an account token sees of another account', () => {
  const h = useHarness({ BRIDGEMAIL_WEBHOOK_ALLOW_PRIVATE: '1' });
  const tag = randomBytes(3).toString('hex');
  // What account A owns; none of it may reach account B.
  const a: Record<string, string> = {};
  let tokenA = '';
  let tokenB = '';
  let apiKeyB = '';
  let bridgeB = '';
  const admin = (token: string, method: string, path: string, body?: unknown) =>
    call(h.platform.urls.admin, token, method, path, body);
  const ok = async (p: Promise<{ status: number; body: any }>, status = 200) => {
    const r = await p;
    if (r.status !== status) throw new Error(`answered ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  };

  beforeAll(async () => {
    const op = h.platform.adminToken;
    const accA = await ok(admin(op, 'POST', '/admin/v1/accounts', { name: `alpha-${tag}`, dedicatedIps: true }), 201);
    const accB = await ok(admin(op, 'POST', '/admin/v1/accounts', { name: `beta-${tag}` }), 201);
    a.account = accA.id;
    a.accountName = accA.name;
    const tA = await ok(admin(op, 'POST', `/admin/v1/accounts/${accA.id}/tokens`, { name: `ci-alpha-${tag}` }), 201);
    tokenA = tA.token;
    a.token = tA.id;
    a.tokenSecret = tA.token;
    tokenB = (await ok(admin(op, 'POST', `/admin/v1/accounts/${accB.id}/tokens`, { name: 'ci-beta' }), 201)).token;
    const pool = await ok(
      admin(op, 'POST', '/admin/v1/pools', {
        name: `alpha-pool-${tag}`,
        ips: ['127.0.0.71'],
        kind: 'dedicated',
        accountId: accA.id,
      }),
      201,
    );
    a.pool = pool.id;
    a.poolName = pool.name;
    a.ip = '127.0.0.71';
    const shared = await ok(admin(op, 'POST', '/admin/v1/pools', { name: `shared-${tag}`, ips: ['127.0.0.72'] }), 201);

    const bridge = await ok(
      admin(tokenA, 'POST', '/admin/v1/bridges', { name: `alpha-app-${tag}`, poolId: pool.id }),
      201,
    );
    expect(bridge.accountId).toBe(accA.id);
    Object.assign(a, {
      bridge: bridge.id,
      bridgeName: bridge.name,
      smtpUser: bridge.smtp.username,
      smtpPassword: bridge.smtp.password,
      apiKey: bridge.apiKey,
    });
    const b = await ok(admin(tokenB, 'POST', '/admin/v1/bridges', { name: `beta-app-${tag}`, poolId: shared.id }), 201);
    bridgeB = b.id;
    apiKeyB = b.apiKey;
    const tpl = await ok(
      admin(tokenA, 'POST', '/admin/v1/templates', {
        name: `alpha-tpl-${tag}`,
        alias: `alpha-tpl-${tag}`,
        subject: `alpha subject ${tag}`,
        text: 'hi {{name}}',
        bridgeId: null,
      }),
      201,
    );
    a.template = tpl.id;
    a.templateAlias = tpl.alias;
    a.domainName = `alpha-${tag}.test`;
    a.domain = (await ok(admin(tokenA, 'POST', '/admin/v1/domains', { domain: a.domainName }), 201)).id;
    a.suppressed = `alpha-sup-${tag}@x.test`;
    a.suppressedAll = `alpha-all-${tag}@x.test`;
    await ok(admin(tokenA, 'POST', '/admin/v1/suppressions', { address: a.suppressed, bridgeId: bridge.id }), 201);
    await ok(admin(tokenA, 'POST', '/admin/v1/suppressions', { address: a.suppressedAll }), 201);
    const list = await ok(admin(tokenA, 'GET', '/admin/v1/suppressions'));
    expect(list.data).toHaveLength(2);
    a.suppression = list.data[0].id;
    const hook = await ok(
      admin(tokenA, 'POST', `/admin/v1/bridges/${bridge.id}/webhooks`, {
        url: `http://127.0.0.1:9/alpha-${tag}`,
        eventTypes: ['delivered'],
      }),
      201,
    );
    a.webhook = hook.webhook.id;
    a.recipient = `alpha-rcpt-${tag}@example.test`;
    const sent = await h.platform.send(bridge.apiKey, {
      from: `app@${a.domainName}`,
      to: a.recipient,
      subject: `alpha mail ${tag}`,
      text: 't',
    });
    expect(sent.status).toBe(202);
    a.message = ((await sent.json()) as { id: string }).id;
    const later = await h.platform.send(bridge.apiKey, {
      from: `app@${a.domainName}`,
      to: a.recipient,
      subject: 'later',
      text: 't',
      sendAt: new Date(Date.now() + 3600_000).toISOString(),
    });
    expect(later.status).toBe(202);
    a.scheduled = ((await later.json()) as { id: string }).id;
    await waitFor(
      async () => (await admin(tokenA, 'GET', `/admin/v1/messages/${a.scheduled}`)).status === 200,
      20_000,
      'the scheduled message has its events',
    );
    await waitFor(async () => (await h.platform.stats(bridge.id)).delivered === 1, 20_000, 'alpha mail delivered');
  });

  /** The value of each path parameter: always one of account A's objects. */
  const paramValue = (path: string, name: string): string => {
    const segments = path.split('/');
    const resource = segments[segments.indexOf(`{${name}}`) - 1];
    const values: Record<string, Record<string, string | undefined>> = {
      id: {
        accounts: a.account,
        bridges: a.bridge,
        templates: a.template,
        domains: a.domain,
        suppressions: a.suppression,
        messages: a.scheduled,
        pools: a.pool,
        ips: a.ip,
        analysts: 'an_x',
        'auth-blocks': 'x',
      },
      wid: { webhooks: a.webhook },
      ip: { ips: a.ip },
      tid: { tokens: a.token },
    };
    const value = values[name]?.[resource ?? ''];
    if (value === undefined) throw new Error(`no value for {${name}} of ${path}: say which object of account A it is`);
    return value;
  };
  /** Bodies that are valid, so a route answers about the object rather than about the body. */
  const bodies = (): Record<string, unknown> => ({
    createAccount: { name: `x-${tag}` },
    updateAccount: { name: `hijacked-${tag}` },
    createAccountToken: { name: 'steal' },
    createBridge: { name: 'steal', poolId: a.pool },
    updateBridge: { name: `hijacked-${tag}` },
    rotateBridgeCredentials: { what: 'both' },
    revokeBridgeCredential: { what: 'api' },
    createDomain: { domain: `beta-${tag}.test` },
    createPool: { name: `x-${tag}`, ips: ['127.0.0.79'] },
    renamePool: { name: `hijacked-${tag}` },
    addPoolIp: { ip: '127.0.0.78' },
    updatePoolIp: { weight: 2 },
    putShaping: {},
    addSuppression: { address: 'new@x.test', bridgeId: '$bridge' },
    importSuppressions: `address,reason,bridge_id\r\nnew2@x.test,manual,$bridge\r\n`,
    createTemplate: { name: 'b', alias: `beta-${tag}`, subject: 's', text: 't', bridgeId: '$bridge' },
    updateTemplate: { subject: 'hijacked' },
    renderTemplate: { model: {} },
    createWebhook: { url: 'http://127.0.0.1:9/steal', eventTypes: ['delivered'] },
    createAnalyst: { name: `x-${tag}` },
    rebindAccount: { from: a.pool, to: a.pool },
  });

  it("answers 404 or an empty list on every admin route tried with another account's token", async () => {
    const doc = (await admin(h.platform.adminToken, 'GET', '/openapi.json')).body;
    const markers = () => Object.values(a).filter((v) => v.length >= 6);
    expect(Object.entries(a).filter(([, v]) => typeof v !== 'string' || v === '')).toEqual([]);
    const matrix: string[] = [];
    let walked = 0;
    for (const [template, ops] of Object.entries<Record<string, any>>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        const access = op['x-bridgemail-access'];
        if (!op.security?.some((s: Record<string, unknown>) => 'adminToken' in s)) continue;
        // Every admin operation says who may call it.
        expect([op.operationId, access]).toEqual([
          op.operationId,
          expect.stringMatching(/^(operator|account|shared)$/),
        ]);
        if (access === 'shared') {
          expect(SHARED).toContain(op.operationId);
          continue;
        }
        const params = [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '');
        const path = template.replace(/\{(\w+)\}/g, (_, name: string) =>
          encodeURIComponent(paramValue(template, name)),
        );
        const raw = bodies()[op.operationId];
        const body =
          typeof raw === 'string'
            ? raw.replace('$bridge', a.bridge ?? '')
            : raw === undefined
              ? op.requestBody
                ? {}
                : undefined
              : JSON.parse(JSON.stringify(raw).replace('"$bridge"', JSON.stringify(a.bridge)));
        const r = await admin(tokenB, method.toUpperCase(), path, body);
        walked++;
        // Nothing of account A comes back beyond what the caller itself sent.
        const sent = `${path} ${JSON.stringify(body ?? '')}`;
        const leaked = markers().filter((m) => r.text.includes(m) && !sent.includes(m));
        expect({ op: op.operationId, leaked }).toEqual({ op: op.operationId, leaked: [] });
        const outcome =
          r.status === 404
            ? '404'
            : r.status === 400 && /_NOT_FOUND$/.test(r.body?.error?.code ?? '')
              ? `400 ${r.body.error.code}`
              : r.status < 300 && (params.length === 0 || r.body?.data?.length === 0)
                ? params.length === 0 && method === 'get'
                  ? 'own data only'
                  : `${r.status} own`
                : `UNEXPECTED ${r.status} ${r.text.slice(0, 120)}`;
        matrix.push(`${access.padEnd(8)} ${method.toUpperCase().padEnd(6)} ${template} → ${outcome}`);
        if (access === 'operator')
          expect({ op: op.operationId, status: r.status }).toEqual({ op: op.operationId, status: 404 });
        // Aimed at one of A's objects: it does not exist for B.
        if (params.length > 0)
          expect({ op: op.operationId, outcome }).toEqual({
            op: op.operationId,
            outcome: expect.stringMatching(/^(404|400 )/),
          });
        expect(outcome).not.toMatch(/^UNEXPECTED/);
      }
    }
    console.log(
      `isolation matrix (account B's token on account A's objects), ${walked} operations:\n${matrix.join('\n')}`,
    );
    expect(walked).toBeGreaterThan(50);

    // A's objects are as A left them.
    const bridge = await ok(admin(tokenA, 'GET', `/admin/v1/bridges/${a.bridge}`));
    expect(bridge).toMatchObject({ name: a.bridgeName, status: 'active', apiStatus: 'active', apiKey: a.apiKey });
    expect(bridge.smtp.password).toBe(a.smtpPassword);
    expect((await ok(admin(tokenA, 'GET', `/admin/v1/templates/${a.template}`))).subject).toBe(`alpha subject ${tag}`);
    expect((await ok(admin(tokenA, 'GET', '/admin/v1/suppressions'))).data).toHaveLength(2);
    expect((await ok(admin(tokenA, 'GET', `/admin/v1/bridges/${a.bridge}/webhooks`))).data).toHaveLength(1);
    expect((await admin(tokenA, 'GET', `/admin/v1/domains/${a.domain}`)).status).toBe(200);
    const timeline = await ok(admin(tokenA, 'GET', `/admin/v1/messages/${a.scheduled}`));
    expect(timeline.data.map((e: { type: string }) => e.type)).not.toContain('cancelled');
    expect((await ok(admin(h.platform.adminToken, 'GET', `/admin/v1/accounts/${a.account}`))).name).toBe(a.accountName);
  });

  it("lists hold the account's own objects; the operator sees both", async () => {
    const mine = await ok(admin(tokenB, 'GET', '/admin/v1/bridges?include=deleted'));
    expect(mine.data.map((b: { id: string }) => b.id)).toEqual([bridgeB]);
    const all = await ok(admin(h.platform.adminToken, 'GET', '/admin/v1/bridges'));
    expect(all.data.map((b: { id: string }) => b.id)).toEqual(expect.arrayContaining([a.bridge, bridgeB]));
    expect((await ok(admin(tokenB, 'GET', '/admin/v1/pools'))).data.map((p: { id: string }) => p.id)).not.toContain(
      a.pool,
    );
    expect((await ok(admin(tokenB, 'GET', '/admin/v1/accounts'))).data).toHaveLength(1);
    expect((await admin(tokenB, 'GET', `/admin/v1/stats/bridges?accountId=${a.account}`)).status).toBe(404);
    const search = await ok(admin(h.platform.adminToken, 'GET', `/admin/v1/messages?recipient=${a.recipient}`));
    expect(search.data.length).toBeGreaterThan(0);
  });

  it("a Bridge's REST credentials never see another account's messages or templates", async () => {
    const get = (path: string, method = 'GET') =>
      fetch(`${h.platform.urls.api}${path}`, { method, headers: { authorization: `Bearer ${apiKeyB}` } });
    expect((await get(`/v1/messages/${a.message}`)).status).toBe(404);
    expect((await get(`/v1/messages/${a.scheduled}`, 'DELETE')).status).toBe(404);
    const search = (await (await get(`/v1/messages?recipient=${encodeURIComponent(a.recipient ?? '')}`)).json()) as {
      data: unknown[];
    };
    expect(search.data).toEqual([]);
    const withTemplate = await h.platform.send(apiKeyB, {
      from: 'b@beta.test',
      to: 'r@example.test',
      templateAlias: a.templateAlias,
      templateModel: {},
    });
    expect(withTemplate.status).toBe(400);
    expect(((await withTemplate.json()) as { error: { code: string } }).error.code).toBe('TEMPLATE_NOT_FOUND');
    // Aliases are per account: B may use the same alias for a template of its own, and sends with B's.
    const mine = await admin(tokenB, 'POST', '/admin/v1/templates', {
      name: 'b',
      alias: a.templateAlias,
      subject: 'beta subject',
      text: 'b',
    });
    expect(mine.status).toBe(201);
    const rendered = await h.platform.send(apiKeyB, {
      from: 'b@beta.test',
      to: 'beta-tpl@example.test',
      templateAlias: a.templateAlias,
      templateModel: {},
    });
    expect(rendered.status).toBe(202);
    const got = await waitFor(() => h.sink.messages.find((m) => m.to.includes('beta-tpl@example.test')), 20_000, 'B');
    expect(got.raw.toString()).toContain('Subject: beta subject');
    const again = await admin(tokenA, 'GET', `/admin/v1/templates/${a.template}`);
    expect(again.body.subject).toBe(`alpha subject ${tag}`);
  });

  it('a revoked account token fails from the next call on; its last use is recorded', async () => {
    const op = h.platform.adminToken;
    const created = await ok(admin(op, 'POST', `/admin/v1/accounts/${a.account}/tokens`, { name: 'short-lived' }), 201);
    expect((await admin(created.token, 'GET', '/admin/v1/bridges')).status).toBe(200);
    const tokens = await ok(admin(op, 'GET', `/admin/v1/accounts/${a.account}/tokens`));
    const listed = tokens.data.find((t: { id: string }) => t.id === created.id);
    expect(listed.lastUsedAt).not.toBeNull();
    expect(JSON.stringify(tokens)).not.toContain(created.token);
    await ok(admin(op, 'DELETE', `/admin/v1/accounts/${a.account}/tokens/${created.id}`));
    const after = await admin(created.token, 'GET', '/admin/v1/bridges');
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('INVALID_CREDENTIALS');
  });
});
