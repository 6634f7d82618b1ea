import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { waitFor } from '../support/wait.js';
import {
  SEED,
  RUNS,
  AUTH_RUNS,
  type Case,
  exchange,
  violation,
  describeCase,
  fuzzFamily,
  expectNoViolations,
} from '../support/fuzz-runner.js';
import { adminCases, type AdminTargets } from '../support/fuzz-admin-arbitraries.js';
import { sendCases, batchCases } from '../support/fuzz-send-arbitraries.js';

/*
 * Property-based fuzzing of the HTTP bodies: random and hostile request bodies against one real
 * platform on loopback. Whatever comes in, the answer is 2xx or 4xx (never
 * 5xx, never a dropped connection), every 4xx is `{ error: { code } }` with a shipped code, and the
 * platform still serves a known-good request afterwards.
 *
 * Cases are drawn with `fc.sample` from a fixed seed and sent 16 at a time; a violation is
 * replayed with `fc.check` from the same seed and path, which shrinks it to a small reproducer.
 * FUZZ_RUNS (default 10000 per family) and FUZZ_SEED change the run.
 */

describe('fuzzing the HTTP bodies: only 2xx/4xx with a shipped error code, never 5xx', () => {
  // The auth limiter is raised for the one test that fuzzes Authorization headers; the bulk
  // runs always send valid credentials.
  const h = useHarness({
    BRIDGEMAIL_AUTH_FAIL_PER_ADDRESS: '1000000',
    BRIDGEMAIL_AUTH_FAIL_PER_PRINCIPAL: '1000000',
    BRIDGEMAIL_MAX_MESSAGE_BYTES: String(4 * 1024 * 1024),
  });
  let bridge: any;
  let targets: AdminTargets;
  let knownGood = 0;

  /** A valid send and a valid admin read still work; the valid message reaches the sink. */
  const stillServing = async () => {
    const to = `known-good-${knownGood++}-${Date.now()}@example.test`;
    const res = await h.platform.send(bridge.apiKey, {
      from: 'app@sender.test',
      to,
      subject: 'still alive',
      text: 'ok',
    });
    expect(res.status).toBe(202);
    expect((await h.platform.admin('GET', `/admin/v1/bridges/${bridge.id}`)).status).toBe(200);
    await waitFor(() => h.sink.messages.some((m) => m.to.includes(to)), 120_000, `the known-good message to ${to}`);
  };

  // The platform runs in this process: an exception nobody catches would kill a real one.
  const uncaught: string[] = [];
  const onUncaught = (err: Error) => uncaught.push(`${err.name}: ${err.message}\n${err.stack ?? ''}`.slice(0, 800));

  afterAll(() => {
    process.off('uncaughtException', onUncaught);
  });

  beforeAll(async () => {
    process.on('uncaughtException', onUncaught);
    console.log(`[fuzz] seed=${SEED} runs=${RUNS} (FUZZ_SEED / FUZZ_RUNS to change)`);
    const pool = await h.platform.createPool('fuzz', ['127.0.0.2']);
    bridge = await h.platform.createBridge('fuzz-send', pool.id);
    const patchTarget = await h.platform.createBridge('fuzz-patch', pool.id);
    const hooks = await h.platform.createBridge('fuzz-hooks', pool.id);
    targets = { poolId: pool.id, bridgeId: patchTarget.id, hookBridgeId: hooks.id };
  });

  it(`POST /v1/send: ${RUNS} cases`, async () => {
    const report = await fuzzFamily('send', h.platform.urls.api, sendCases(bridge.apiKey), RUNS);
    await stillServing();
    expectNoViolations(report);
  }, 600_000);

  it(`POST /v1/send/batch: ${RUNS} cases`, async () => {
    const report = await fuzzFamily('batch', h.platform.urls.api, batchCases(bridge.apiKey), RUNS);
    await stillServing();
    expectNoViolations(report);
  }, 600_000);

  it(`admin bodies (pools, bridges, bridge patch, suppressions, webhooks): ${RUNS} cases`, async () => {
    const report = await fuzzFamily('admin', h.platform.urls.admin, adminCases(h.platform.adminToken, targets), RUNS);
    await stillServing();
    expectNoViolations(report);
  }, 600_000);

  it(`Authorization headers (limiter raised): ${AUTH_RUNS} cases`, async () => {
    const latin1 = fc.string({
      unit: fc
        .integer({ min: 0x20, max: 0xff })
        .filter((n) => n !== 0x7f)
        .map((n) => String.fromCharCode(n)),
      maxLength: 120,
    });
    const authValue = fc.oneof(
      latin1,
      latin1.map((s) => `Bearer ${s}`),
      fc.constantFrom(
        'Bearer',
        'Bearer ',
        'bearer bm_',
        'Basic Zm9vOmJhcg==',
        'Bearer a b',
        `Bearer ${'x'.repeat(8192)}`,
      ),
      fc
        .constantFrom(bridge.apiKey, h.platform.adminToken)
        .chain((k) =>
          fc.constantFrom(`Bearer ${k}x`, `Bearer ${k.slice(0, -1)}`, `Bearer ${k.toUpperCase()}`, `Token ${k}`),
        ),
    );
    const authCase = fc
      .tuple(fc.constantFrom('send', 'admin'), fc.option(authValue, { freq: 20 }))
      .map(([where, auth]): Case => ({
        method: 'POST',
        path: where === 'send' ? '/v1/send' : '/admin/v1/suppressions',
        headers: { 'content-type': 'application/json', ...(auth === null ? {} : { authorization: auth }) },
        body:
          where === 'send'
            ? JSON.stringify({ from: 'app@sender.test', to: 'auth-fuzz@example.test', subject: 's', text: 't' })
            : JSON.stringify({ address: 'auth-fuzz@example.test' }),
      }));
    const report = await fuzzFamily(
      'auth',
      '',
      authCase.map((c) => ({
        ...c,
        path: `${c.path.startsWith('/admin') ? h.platform.urls.admin : h.platform.urls.api}${c.path}`,
      })),
      AUTH_RUNS,
    );
    // Wrong credentials are refused, never accepted.
    expect(Object.keys(report.byStatus).filter((s) => s !== '401' && s !== '429' && s !== '0')).toEqual([]);
    await stillServing();
    expectNoViolations(report);
  }, 300_000);

  it('ids and names with a NUL byte are refused with a 4xx, not a database error', async () => {
    // Found by the admin fuzz: PostgreSQL text cannot hold NUL (22021), and some ids reach SQL unvalidated.
    const probes: Case[] = [
      { method: 'PATCH', path: '/admin/v1/bridges/%00', headers: {}, body: '{}' },
      { method: 'GET', path: '/admin/v1/bridges/%00', headers: {}, body: undefined },
      { method: 'GET', path: '/admin/v1/pools/a%00b', headers: {}, body: undefined },
      { method: 'GET', path: '/admin/v1/domains/%00', headers: {}, body: undefined },
      { method: 'DELETE', path: '/admin/v1/suppressions/%00', headers: {}, body: undefined },
      {
        method: 'POST',
        path: '/admin/v1/bridges',
        headers: {},
        body: JSON.stringify({ name: 'nul', poolId: 'pool\u0000' }),
      },
      {
        method: 'POST',
        path: '/admin/v1/suppressions',
        headers: {},
        body: JSON.stringify({ address: 'nul@example.test', bridgeId: 'br\u0000' }),
      },
      {
        method: 'POST',
        path: `/admin/v1/bridges/%00/webhooks`,
        headers: {},
        body: JSON.stringify({ url: 'http://93.184.216.34/hook', eventTypes: ['delivered'] }),
      },
      {
        method: 'POST',
        path: `/admin/v1/bridges/${targets.hookBridgeId}/webhooks`,
        headers: {},
        body: JSON.stringify({ url: 'http://93.184.216.34/ho\u0000ok', eventTypes: ['delivered'] }),
      },
    ];
    const failures: string[] = [];
    for (const p of probes) {
      const c = {
        ...p,
        headers: { authorization: `Bearer ${h.platform.adminToken}`, 'content-type': 'application/json' },
      };
      const o = await exchange(h.platform.urls.admin, c);
      const why = violation('admin', c, o);
      if (why) failures.push(`${describeCase({ ...c, headers: {} })} → ${o.status} ${o.text} (${why})`);
    }
    expect(failures).toEqual([]);
  });

  it('IP weights too small for the float4 column are refused with a 400, not a database error', async () => {
    // Found by the admin fuzz: the schema takes any number in [0, 1000]; pool_ips.weight is `real`.
    const failures: string[] = [];
    const probes: [string, string, unknown][] = [
      ['POST', '/admin/v1/pools', { name: 'tiny weight', ips: [{ ip: '127.0.0.160', weight: 1e-50 }] }],
      ['POST', `/admin/v1/pools/${targets.poolId}/ips`, { ip: '127.0.0.161', weight: 1e-50 }],
      ['PATCH', `/admin/v1/pools/${targets.poolId}/ips/127.0.0.2`, { weight: 1e-50 }],
    ];
    for (const [method, path, body] of probes) {
      const c: Case = {
        method,
        path,
        headers: { authorization: `Bearer ${h.platform.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      };
      const o = await exchange(h.platform.urls.admin, c);
      const why = violation('admin', c, o);
      if (why) failures.push(`${describeCase({ ...c, headers: {} })} → ${o.status} ${o.text} (${why})`);
    }
    expect(failures).toEqual([]);
  });

  it('names and ids with a lone surrogate are refused or applied whole, never half-applied behind a 500', async () => {
    // Found by the admin fuzz: a lone UTF-16 surrogate passes validation and the row is written
    // (text columns store U+FFFD), then the audit entry's jsonb refuses "\ud800": the change
    // stays, the caller gets a 500 and no process is told about the change.
    const target = await h.platform.createBridge('surrogate-target', targets.poolId);
    const failures: string[] = [];
    const attempt = async (method: string, path: string, body: unknown, applied: () => Promise<boolean>) => {
      const c: Case = {
        method,
        path,
        headers: { authorization: `Bearer ${h.platform.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      };
      const o = await exchange(h.platform.urls.admin, c);
      const why = violation('admin', c, o);
      if (why)
        failures.push(
          `${describeCase({ ...c, headers: {} })} → ${o.status} ${o.text} (${why}; change applied anyway: ${await applied()})`,
        );
    };
    await attempt('PATCH', `/admin/v1/bridges/${target.id}`, { name: 'renamed \ud800' }, async () =>
      String((await h.platform.admin('GET', `/admin/v1/bridges/${target.id}`)).body.name).startsWith('renamed'),
    );
    await attempt(
      'POST',
      '/admin/v1/suppressions',
      { address: 'surrogate@example.test', bridgeId: 'br_\udfff' },
      async () =>
        (
          (await h.platform.admin('GET', '/admin/v1/suppressions?search=surrogate%40example.test')).body
            .data as unknown[]
        ).length > 0,
    );
    await attempt('POST', '/admin/v1/pools', { name: 'pool \ud800', ips: ['127.0.0.150'] }, async () =>
      ((await h.platform.admin('GET', '/admin/v1/pools')).body.data as { ips: string[] }[]).some((p) =>
        p.ips.includes('127.0.0.150'),
      ),
    );
    await attempt('POST', '/admin/v1/bridges', { name: 'bridge \udfff', poolId: targets.poolId }, async () =>
      ((await h.platform.admin('GET', '/admin/v1/bridges')).body.data as { name: string }[]).some((b) =>
        b.name.startsWith('bridge \ufffd'),
      ),
    );
    expect(failures).toEqual([]);
  });

  it('a multipart body that ends inside a file part is refused without an uncaught exception', async () => {
    const before = uncaught.length;
    const boundary = 'cut0ff';
    const full =
      `--${boundary}\r\nContent-Disposition: form-data; name="from"\r\n\r\napp@sender.test\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello, this file never ends`;
    const res = await fetch(`${h.platform.urls.api}/v1/send`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${bridge.apiKey}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
      },
      body: full,
    });
    const o = { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
    expect(violation('send', { method: 'POST', path: '/v1/send', headers: {} }, o)).toBeUndefined();
    expect(o.status).toBe(400);
    // Let the request's stream events run out, then serve another request.
    await stillServing();
    expect(uncaught.slice(before)).toEqual([]);
  });

  it('no exception escaped any handler while fuzzing', () => {
    expect(uncaught).toEqual([]);
  });

  it('logged no unexpected request failure', () => {
    // Every 5xx above logs one of these; grouped by route and error for a readable report.
    const failures = new Map<string, number>();
    for (const line of h.platform.logs) {
      if (!/"msg":"(request failed|batch message failed)"/.test(line)) continue;
      const entry = JSON.parse(line) as {
        msg: string;
        method?: string;
        path?: string;
        err?: { type?: string; message?: string; stack?: string };
      };
      const where = entry.err?.stack
        ?.split('\n')
        .find((f) => /\/work\/main\/(?!node_modules)/.test(f) || /at (?!JSON|process|Array)/.test(f))
        ?.trim();
      const path = entry.path?.replace(/^(\/admin\/v1\/bridges\/)[^/]+/, '$1:id');
      const key = `${entry.msg}: ${entry.method ?? ''} ${path ?? ''} ${entry.err?.type}: ${entry.err?.message} (${where ?? '?'})`;
      failures.set(key, (failures.get(key) ?? 0) + 1);
    }
    expect([...failures].map(([k, n]) => `${n}× ${k}`)).toEqual([]);
  });
});
