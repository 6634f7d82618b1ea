import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';

/** Totals of one Bridge's events, as the stats API returns them. */
export const BRIDGE_STATS_SCHEMA = z.object({
  sent: z.number().describe('Recipients handed to a first delivery attempt'),
  delivered: z.number().describe('Recipients whose MX accepted the message (2xx)'),
  deferred: z.number().describe('Temporary failures, one per recipient and attempt'),
  bounced: z.number().describe('Recipients that finally failed (5xx, expired, undeliverable)'),
  complaints: z.number().describe('Spam complaints'),
  opens: z.number().describe('Open events'),
  clicks: z.number().describe('Click events'),
});

/** Totals of one Bridge's events. */
export type BridgeStats = z.infer<typeof BRIDGE_STATS_SCHEMA>;

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
