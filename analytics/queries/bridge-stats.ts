import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';

/** Totals of one Bridge's events, as the stats API returns them. */
export const BRIDGE_STATS_SCHEMA = z.object({
  sent: z.number().describe('Recipients handed to a first delivery attempt'),
  delivered: z.number().describe('Recipients whose MX accepted the message (2xx)'),
  deferred: z.number().describe('Temporary failures, one per recipient and attempt'),
  bounced: z.number().describe('Recipients that finally failed (5xx, expired, undeliverable, or a DSN later)'),
  hardBounces: z.number().describe('Bounces saying the address itself is bad (user/host unknown, moved): suppressed'),
  softBounces: z.number().describe('Every other bounce (policy, spam, reputation, mailbox full, expired): not suppressed'),
  complaints: z.number().describe('Spam complaints'),
  opens: z.number().describe('Opens by people (pixel loads, machine fetches excluded)'),
  uniqueOpens: z.number().describe('Messages (per recipient) opened at least once by a person'),
  machineOpens: z.number().describe('Pixel loads by machines: privacy proxies (Apple MPP), image prefetchers'),
  clicks: z.number().describe('Clicks by people (link scanners excluded)'),
  uniqueClicks: z.number().describe('Messages (per recipient) with at least one click by a person'),
  machineClicks: z.number().describe('Clicks by link scanners (known agents, or within seconds of sending)'),
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
        uniqExactIf((message_id, recipient), type = 'bounced' AND hard = 1) AS hardBounces,
        uniqExactIf((message_id, recipient), type = 'bounced' AND hard = 0) AS softBounces,
        uniqExactIf((message_id, recipient), type = 'complained')         AS complaints,
        uniqExactIf(event_id, type = 'opened' AND machine = 0)            AS opens,
        uniqExactIf((message_id, recipient), type = 'opened' AND machine = 0) AS uniqueOpens,
        uniqExactIf(event_id, type = 'opened' AND machine = 1)            AS machineOpens,
        uniqExactIf(event_id, type = 'clicked' AND machine = 0)           AS clicks,
        uniqExactIf((message_id, recipient), type = 'clicked' AND machine = 0) AS uniqueClicks,
        uniqExactIf(event_id, type = 'clicked' AND machine = 1)           AS machineClicks
      FROM ${database}.events
      WHERE bridge_id = {bridgeId:String}`,
    query_params: { bridgeId },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<Record<keyof BridgeStats, string | number>>();
  const keys = Object.keys(BRIDGE_STATS_SCHEMA.shape) as (keyof BridgeStats)[];
  return Object.fromEntries(keys.map((k) => [k, Number(row?.[k] ?? 0)])) as BridgeStats;
}
