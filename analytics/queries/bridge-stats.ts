import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { AGGREGATE_TABLE, typeIs } from '../schema/events-schema.js';
import { queryTotals, sandboxIs, type BridgeStats } from './stats.js';

export { BRIDGE_STATS_SCHEMA, type BridgeStats } from './stats.js';

/**
 * All-time totals of one Bridge, counted as distinct (message, recipient) per outcome so that an
 * event delivered twice to the store never counts twice; deferrals count once per attempt. Read
 * from the per-minute aggregates (`events_per_minute`), never from raw events.
 */
export async function queryBridgeStats(
  client: ClickHouseClient,
  database: string,
  bridgeId: string,
): Promise<BridgeStats> {
  return queryTotals(client, database, { bridgeId });
}

/** When a Bridge last handed a message to delivery, whatever range its other numbers cover. */
export const LAST_SENT_SCHEMA = z
  .string()
  .nullable()
  .describe('Start (UTC, to the minute) of the last minute the Bridge sent a message, any time; null if it never sent');

/**
 * The last minute each Bridge sent in, all time, keyed by Bridge id (Bridges that never sent are
 * absent). Read from the per-minute aggregates, so its precision is the minute and its cost does
 * not grow with the number of events.
 */
export async function queryLastSends(client: ClickHouseClient, database: string): Promise<Map<string, string>> {
  const result = await client.query({
    query: `SELECT bridge_id, toString(max(minute)) AS last
      FROM ${database}.${AGGREGATE_TABLE}
      WHERE ${typeIs('sent')} AND ${sandboxIs()}
      GROUP BY bridge_id`,
    format: 'JSONEachRow',
  });
  const rows = await result.json<{ bridge_id: string; last: string }>();
  return new Map(rows.map((r) => [r.bridge_id, new Date(`${r.last.replace(' ', 'T')}Z`).toISOString()]));
}
