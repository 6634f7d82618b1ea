import type { ClickHouseClient } from '@clickhouse/client';

/** Totals of one Bridge's events. */
export interface BridgeStats {
  sent: number;
  delivered: number;
  deferred: number;
  bounced: number;
  complaints: number;
  opens: number;
  clicks: number;
}

/**
 * Totals of one Bridge, counted as distinct (message, recipient) per outcome so that an event
 * delivered twice to the store never counts twice; deferrals count once per attempt.
 */
export async function queryBridgeStats(client: ClickHouseClient, database: string, bridgeId: string): Promise<BridgeStats> {
  const result = await client.query({
    query: `
      SELECT
        uniqExactIf((message_id, recipient), type = 'sent')               AS sent,
        uniqExactIf((message_id, recipient), type = 'delivered')          AS delivered,
        uniqExactIf((message_id, recipient, attempt), type = 'deferred')  AS deferred,
        uniqExactIf((message_id, recipient), type = 'bounced')            AS bounced,
        uniqExactIf((message_id, recipient), type = 'complained')         AS complaints,
        uniqExactIf(event_id, type = 'opened')                            AS opens,
        uniqExactIf(event_id, type = 'clicked')                           AS clicks
      FROM ${database}.events
      WHERE bridge_id = {bridgeId:String}`,
    query_params: { bridgeId },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<Record<keyof BridgeStats, string | number>>();
  const n = (v: string | number | undefined) => Number(v ?? 0);
  return {
    sent: n(row?.sent),
    delivered: n(row?.delivered),
    deferred: n(row?.deferred),
    bounced: n(row?.bounced),
    complaints: n(row?.complaints),
    opens: n(row?.opens),
    clicks: n(row?.clicks),
  };
}
