import type { ClickHouseClient } from '@clickhouse/client';
import { queryTotals, type BridgeStats } from './stats.js';

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
