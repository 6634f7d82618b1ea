import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';

// What the admin API refuses so that what it stores stays unambiguous: two live Bridges never share
// a name (the console tells them apart by it), and a suppression never names a Bridge that does not exist.
describe('admin API: unique Bridge names and suppressions of real Bridges', () => {
  const h = useHarness();

  it('refuses a Bridge name already live (trimmed, any case) on create and rename, with 409 BRIDGE_NAME_TAKEN', async () => {
    const pool = await h.platform.createPool('names', ['127.0.0.2']);
    const shop = await h.platform.createBridge('Shop Mail', pool.id);
    const taken = { code: 'BRIDGE_NAME_TAKEN', field: 'name', message: expect.stringContaining('Shop Mail') };

    for (const name of ['Shop Mail', '  shop mail ', 'SHOP MAIL']) {
      const dup = await h.platform.admin('POST', '/admin/v1/bridges', { name, poolId: pool.id });
      expect(dup, name).toMatchObject({ status: 409, body: { error: taken } });
    }
    const unicode = await h.platform.createBridge('Équipe', pool.id);
    expect(
      (await h.platform.admin('POST', '/admin/v1/bridges', { name: 'équipe', poolId: pool.id })).body.error.code,
    ).toBe('BRIDGE_NAME_TAKEN');

    const other = await h.platform.createBridge('Newsletter', pool.id);
    const rename = await h.platform.admin('PATCH', `/admin/v1/bridges/${other.id}`, { name: 'shop MAIL' });
    expect(rename).toMatchObject({ status: 409, body: { error: taken } });
    expect((await h.platform.admin('GET', `/admin/v1/bridges/${other.id}`)).body.name).toBe('Newsletter');
    // A refused rename changes nothing else it carried either.
    const mixed = await h.platform.admin('PATCH', `/admin/v1/bridges/${other.id}`, {
      name: 'Shop Mail',
      trackOpens: true,
    });
    expect(mixed.status).toBe(409);
    expect((await h.platform.admin('GET', `/admin/v1/bridges/${other.id}`)).body.trackOpens).toBe(false);

    // A Bridge may keep its own name, or change only its case.
    expect((await h.platform.admin('PATCH', `/admin/v1/bridges/${shop.id}`, { name: 'Shop Mail' })).status).toBe(200);
    const recased = await h.platform.admin('PATCH', `/admin/v1/bridges/${shop.id}`, { name: 'shop mail' });
    expect(recased).toMatchObject({ status: 200, body: { name: 'shop mail' } });

    // A deleted Bridge's name is free again.
    expect((await h.platform.admin('DELETE', `/admin/v1/bridges/${unicode.id}`)).status).toBe(200);
    expect((await h.platform.admin('POST', '/admin/v1/bridges', { name: 'ÉQUIPE', poolId: pool.id })).status).toBe(201);

    // Concurrent creates of one name: exactly one wins.
    const racers = await Promise.all(
      [1, 2, 3, 4].map(() => h.platform.admin('POST', '/admin/v1/bridges', { name: 'Race', poolId: pool.id })),
    );
    expect(racers.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
    const live = (await h.platform.admin('GET', '/admin/v1/bridges')).body.data as { name: string }[];
    const keys = live.map((b) => b.name.trim().toLowerCase());
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('documents BRIDGE_NAME_TAKEN as a 409 of create and rename in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${h.platform.urls.admin}/openapi.json`)).json()) as any;
    for (const [path, method] of [
      ['/admin/v1/bridges', 'post'],
      ['/admin/v1/bridges/{id}', 'patch'],
    ] as const) {
      const conflict = doc.paths[path][method].responses['409'];
      expect(JSON.stringify(conflict), `${method} ${path}`).toContain('BRIDGE_NAME_TAKEN');
    }
    expect(JSON.stringify(doc.paths['/admin/v1/suppressions'].post.responses['400'])).toContain('BRIDGE_NOT_FOUND');
  });

  it('refuses a suppression for a Bridge that does not exist, naming bridgeId; the CSV import names the line', async () => {
    const pool = await h.platform.createPool('sup', ['127.0.0.3']);
    const real = await h.platform.createBridge('suppressing', pool.id);
    const gone = await h.platform.createBridge('gone', pool.id);
    expect((await h.platform.admin('DELETE', `/admin/v1/bridges/${gone.id}`)).status).toBe(200);

    for (const bridgeId of ['br_doesnotexist', 'anything at all', `${real.id}x`]) {
      const refused = await h.platform.admin('POST', '/admin/v1/suppressions', { address: 'x@example.test', bridgeId });
      expect(refused, bridgeId).toMatchObject({
        status: 400,
        body: { error: { code: 'BRIDGE_NOT_FOUND', field: 'bridgeId' } },
      });
    }
    const stored = await h.platform.admin('GET', '/admin/v1/suppressions?search=x%40example.test');
    expect(stored.body.data).toEqual([]);

    const ok = await h.platform.admin('POST', '/admin/v1/suppressions', {
      address: 'x@example.test',
      bridgeId: real.id,
    });
    expect(ok.status).toBe(201);
    // A deleted Bridge still exists: an exported list that names it imports back whole.
    const ofDeleted = await h.platform.admin('POST', '/admin/v1/suppressions', {
      address: 'y@example.test',
      bridgeId: gone.id,
    });
    expect(ofDeleted.status).toBe(201);
    expect((await h.platform.admin('POST', '/admin/v1/suppressions', { address: 'z@example.test' })).status).toBe(201);

    const res = await fetch(`${h.platform.urls.admin}/admin/v1/suppressions/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.platform.adminToken}`, 'content-type': 'text/csv' },
      body: [
        'address,reason,bridge_id',
        `csv-1@example.test,manual,${real.id}`,
        'csv-2@example.test,manual,br_typo',
        'csv-3@example.test,manual,',
        'csv-4@example.test,manual,not a bridge',
        '',
      ].join('\r\n'),
    });
    expect(await res.json()).toEqual({
      imported: 2,
      existing: 0,
      errors: [
        { line: 3, field: 'bridge_id', message: expect.any(String) },
        { line: 5, field: 'bridge_id', message: expect.any(String) },
      ],
    });
    const listed = await h.platform.admin('GET', '/admin/v1/suppressions?search=csv-');
    expect(listed.body.data.map((s: { address: string }) => s.address).sort()).toEqual([
      'csv-1@example.test',
      'csv-3@example.test',
    ]);
  });
});
