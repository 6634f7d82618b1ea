import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applySchema,
  openClickHouse,
  querySeries,
  queryStats,
  toRow,
  type ClickHouseClient,
} from '../../analytics/index.js';
import { queryDeferrals } from '../../analytics/queries/stats.js';
import type { MailEvent } from '../support/analytics-events.js';

const DB = 'bridgemail';
const T0 = Date.UTC(2024, 4, 2, 9, 0, 0);
const MIN = 60_000;

// Deferrals are counted per message (per recipient), not per attempt: two messages deferred three
// and four times read "2 deferred", and the one still without an outcome "1 waiting for a retry".
describe('deferred messages and unique opens per bucket', () => {
  let dir: string;
  let ch: ClickHouseClient;
  let n = 0;
  const ev = (e: Omit<MailEvent, 'id' | 'bridgeId' | 'poolId' | 'messageId'> & { messageId?: string }): MailEvent => ({
    messageId: 'msg_1',
    bridgeId: 'br_d',
    poolId: 'pool_d',
    ...e,
    id: `ev_${++n}`,
  });
  const attempt = (messageId: string, recipient: string, k: number) =>
    ev({ type: 'deferred', messageId, recipient, ts: T0 + k * MIN, ip: '127.0.0.2', attempt: k, replyCode: 451 });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bridgemail-deferrals-'));
    ch = openClickHouse({ chdbPath: join(dir, 'chdb') });
    await applySchema(ch, DB);
    const events: MailEvent[] = [
      ...[1, 2, 3].map((k) => attempt('msg_1', 'a@x.test', k)),
      ev({ type: 'delivered', messageId: 'msg_1', recipient: 'a@x.test', ts: T0 + 5 * MIN, ip: '127.0.0.2' }),
      ...[1, 2, 3, 4].map((k) => attempt('msg_2', 'b@x.test', k)),
      ev({ type: 'delivered', messageId: 'msg_3', recipient: 'c@x.test', ts: T0, ip: '127.0.0.2' }),
      // One person opens msg_3 twice in the same hour: 2 opens, 1 unique open.
      ev({ type: 'opened', messageId: 'msg_3', recipient: 'c@x.test', ts: T0 + MIN }),
      ev({ type: 'opened', messageId: 'msg_3', recipient: 'c@x.test', ts: T0 + 2 * MIN }),
    ];
    const rows = events.map(toRow);
    await ch.insert({ table: `${DB}.events`, values: rows, format: 'JSONEachRow' });
    await ch.insert({ table: `${DB}.events`, values: rows.slice(0, 4), format: 'JSONEachRow' }); // at-least-once
  });
  afterAll(async () => {
    await ch?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const range = { scope: { bridgeId: 'br_d' }, from: new Date(T0 - 60 * MIN), to: new Date(T0 + 60 * MIN) };

  it('counts messages deferred at least once and those still waiting, not attempts', async () => {
    expect((await queryStats(ch, DB, range)).totals.deferred).toBe(7); // attempts, as documented
    expect(await queryDeferrals(ch, DB, range)).toEqual({ deferredMessages: 2, awaitingRetry: 1 });
    // A range ending before the delivery of msg_1 still knows it is no longer waiting.
    expect(await queryDeferrals(ch, DB, { ...range, to: new Date(T0 + 4 * MIN) })).toEqual({
      deferredMessages: 2,
      awaitingRetry: 1,
    });
    expect(await queryDeferrals(ch, DB, { ...range, scope: { bridgeId: 'br_other' } })).toEqual({
      deferredMessages: 0,
      awaitingRetry: 0,
    });
  });

  it('gives every series bucket unique opens beside all opens', async () => {
    const series = await querySeries(ch, DB, { ...range, interval: 'hour' });
    const at9 = series.find((p) => p.t === '2024-05-02T09:00:00.000Z');
    expect(at9).toMatchObject({ opens: 2, uniqueOpens: 1, clicks: 0, uniqueClicks: 0, delivered: 2 });
  });
});
