import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

describe('admin API: Bridge edits, Pools and the audit log', () => {
  // Webhooks on loopback (the audit-names test registers one; nothing is sent to it).
  const h = useHarness({ BRIDGEMAIL_WEBHOOK_ALLOW_PRIVATE: '1' });

  it('renames and toggles a Bridge keeping its credentials and stats; the Pool binding is refused', async () => {
    const pool = await h.platform.createPool('edit-pool', ['127.0.0.2']);
    const bridge = await h.platform.createBridge('before', pool.id);
    expect(
      (await h.platform.send(bridge.apiKey, { from: 'a@sender.test', to: 'r@example.test', subject: 's', text: 't' }))
        .status,
    ).toBe(202);
    await waitFor(async () => (await h.platform.stats(bridge.id)).delivered === 1, 20_000, 'one delivered');

    const renamed = await h.platform.admin('PATCH', `/admin/v1/bridges/${bridge.id}`, {
      name: 'after',
      trackOpens: true,
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'after', trackOpens: true, trackClicks: false, poolId: pool.id });
    const read = await h.platform.admin('GET', `/admin/v1/bridges/${bridge.id}`);
    expect(read.body.apiKey).toBe(bridge.apiKey);
    expect(read.body.smtp.password).toBe(bridge.smtp.password);
    expect(await h.platform.stats(bridge.id)).toMatchObject({ sent: 1, delivered: 1 });
    expect(
      (await h.platform.send(bridge.apiKey, { from: 'a@sender.test', to: 'r2@example.test', subject: 's', text: 't' }))
        .status,
    ).toBe(202);

    const other = await h.platform.createPool('other-pool', ['127.0.0.3']);
    const moved = await h.platform.admin('PATCH', `/admin/v1/bridges/${bridge.id}`, { poolId: other.id });
    expect(moved.status).toBe(400);
    expect(moved.body.error).toMatchObject({ code: 'POOL_BINDING_IMMUTABLE', field: 'poolId' });
    expect((await h.platform.admin('GET', `/admin/v1/bridges/${bridge.id}`)).body.poolId).toBe(pool.id);

    const bad = await h.platform.admin('PATCH', `/admin/v1/bridges/${bridge.id}`, { name: '' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('name');
    expect((await h.platform.admin('PATCH', '/admin/v1/bridges/br_missing', { name: 'x' })).status).toBe(404);
  });

  it('manages Pools: rename, add and remove IPs, weights, delete only when no live Bridge is bound', async () => {
    const pool = await h.platform.createPool('ops', ['127.0.0.20']);
    expect((await h.platform.admin('PATCH', `/admin/v1/pools/${pool.id}`, { name: 'ops-renamed' })).body.name).toBe(
      'ops-renamed',
    );
    const added = await h.platform.admin('POST', `/admin/v1/pools/${pool.id}/ips`, { ip: '127.0.0.21', weight: 0.1 });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ ips: ['127.0.0.20', '127.0.0.21'], weights: { '127.0.0.21': 0.1 } });
    expect(
      (await h.platform.admin('PATCH', `/admin/v1/pools/${pool.id}/ips/127.0.0.21`, { weight: 2 })).body.weights[
        '127.0.0.21'
      ],
    ).toBe(2);
    const taken = await h.platform.admin('POST', '/admin/v1/pools', { name: 'thief', ips: ['127.0.0.21'] });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('IP_IN_USE');
    expect(
      (await h.platform.admin('POST', '/admin/v1/pools', { name: 'ops-renamed', ips: ['127.0.0.29'] })).body.error.code,
    ).toBe('POOL_NAME_TAKEN');
    expect((await h.platform.admin('DELETE', `/admin/v1/pools/${pool.id}/ips/127.0.0.20`)).body.ips).toEqual([
      '127.0.0.21',
    ]);
    const last = await h.platform.admin('DELETE', `/admin/v1/pools/${pool.id}/ips/127.0.0.21`);
    expect(last.status).toBe(409);
    expect(last.body.error.code).toBe('POOL_NEEDS_IP');
    expect(
      (await h.platform.admin('POST', '/admin/v1/pools', { name: 'bad-ip', ips: ['300.1.1.1'] })).body.error.field,
    ).toBe('ips[0]');

    const bridge = await h.platform.createBridge('bound', pool.id);
    const inUse = await h.platform.admin('DELETE', `/admin/v1/pools/${pool.id}`);
    expect(inUse.status).toBe(409);
    expect(inUse.body.error.code).toBe('POOL_IN_USE');
    expect((await h.platform.admin('DELETE', `/admin/v1/bridges/${bridge.id}`)).status).toBe(200);
    expect((await h.platform.admin('DELETE', `/admin/v1/pools/${pool.id}`)).status).toBe(200);
    expect((await h.platform.admin('GET', `/admin/v1/pools/${pool.id}`)).status).toBe(404);
    const pools = await h.platform.admin('GET', '/admin/v1/pools');
    expect(pools.body.data.map((p: { id: string }) => p.id)).not.toContain(pool.id);
    // The deleted Pool's IP is free again, and no new Bridge can bind to the deleted Pool.
    expect((await h.platform.admin('POST', '/admin/v1/pools', { name: 'reuse', ips: ['127.0.0.21'] })).status).toBe(
      201,
    );
    const orphan = await h.platform.admin('POST', '/admin/v1/bridges', { name: 'late', poolId: pool.id });
    expect(orphan.body.error).toMatchObject({ code: 'POOL_NOT_FOUND', field: 'poolId' });
  });

  it('writes every change to the audit log, with the admin token id and never a secret', async () => {
    const pool = await h.platform.createPool('audited', ['127.0.0.30']);
    const bridge = await h.platform.createBridge('audited-app', pool.id);
    await h.platform.admin('PATCH', `/admin/v1/bridges/${bridge.id}`, { name: 'audited-2' });
    const rotated = await h.platform.admin('POST', `/admin/v1/bridges/${bridge.id}/rotate`, { what: 'both' });
    await h.platform.admin('POST', `/admin/v1/bridges/${bridge.id}/revoke`, { what: 'api' });
    await h.platform.admin('DELETE', `/admin/v1/bridges/${bridge.id}`);

    const page = await h.platform.admin('GET', `/admin/v1/audit?targetId=${bridge.id}&limit=10`);
    expect(page.status).toBe(200);
    expect(page.body.data.map((e: { action: string }) => e.action)).toEqual([
      'bridge.delete',
      'bridge.revoke',
      'bridge.rotate',
      'bridge.update',
      'bridge.create',
    ]);
    for (const entry of page.body.data) {
      expect(entry.actor).toMatch(/^adm_[0-9a-f]{12}$/);
      expect(Date.parse(entry.at)).not.toBeNaN();
    }
    const text = JSON.stringify((await h.platform.admin('GET', '/admin/v1/audit?limit=500')).body);
    for (const secret of [
      bridge.apiKey,
      bridge.smtp.password,
      rotated.body.apiKey,
      rotated.body.smtp.password,
      h.platform.adminToken,
    ]) {
      expect(text).not.toContain(secret);
    }
    const first = await h.platform.admin('GET', '/admin/v1/audit?limit=2');
    expect(first.body.data).toHaveLength(2);
    const second = await h.platform.admin('GET', `/admin/v1/audit?limit=2&before=${first.body.next}`);
    expect(second.body.data[0].id).not.toBe(first.body.data[1].id);
    expect((await h.platform.admin('GET', '/admin/v1/audit?limit=0')).body.error.field).toBe('limit');
  });

  it('names the DKIM domains and webhooks the audit log mentions; a deleted template keeps its id', async () => {
    const pool = await h.platform.createPool('names-pool', ['127.0.0.40']);
    const bridge = await h.platform.createBridge('names-app', pool.id);
    const domain = await h.platform.admin('POST', '/admin/v1/domains', { domain: 'names.example' });
    expect(domain.status).toBe(201);
    const hook = await h.platform.admin('POST', `/admin/v1/bridges/${bridge.id}/webhooks`, {
      url: 'http://127.0.0.1:9/hooks/audit',
      eventTypes: ['delivered'],
    });
    expect(hook.status).toBe(201);
    const body = { name: 'Short-lived', alias: 'short-lived', subject: 's', text: 't' };
    const tpl = await h.platform.admin('POST', '/admin/v1/templates', body);
    expect((await h.platform.admin('DELETE', `/admin/v1/templates/${tpl.body.id}`)).status).toBe(200);

    const audit = (await h.platform.admin('GET', '/admin/v1/audit?limit=20')).body.data;
    const entry = (action: string) => audit.find((e: { action: string }) => e.action === action);
    expect(entry('domain.create')).toMatchObject({ targetId: domain.body.id, targetName: 'names.example' });
    expect(entry('webhook.create')).toMatchObject({
      targetId: bridge.id,
      targetName: 'names-app',
      names: { [bridge.id]: 'names-app', [hook.body.webhook.id]: '127.0.0.1:9' },
    });
    // The store no longer has the template: the entries keep its id and the name in their details.
    expect(entry('template.delete')).toMatchObject({ targetId: tpl.body.id, targetName: null });
    expect(entry('template.delete').names).toEqual({});
    expect(entry('template.create').details.name).toBe('Short-lived');
  });
});
