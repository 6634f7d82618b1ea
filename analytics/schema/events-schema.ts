import type { ClickHouseClient } from '@clickhouse/client';

/**
 * DDL of the analytics store, applied at start on chDB and on a server alike (idempotent).
 * `events` holds every event; ReplacingMergeTree on the event id collapses a batch the writer
 * inserted twice (at-least-once delivery from Redis), and the stats queries count distinct keys.
 */
export function eventsSchema(database: string): string[] {
  return [
    `CREATE DATABASE IF NOT EXISTS ${database}`,
    `CREATE TABLE IF NOT EXISTS ${database}.events (
      event_id          String,
      type              LowCardinality(String),
      ts                DateTime64(3, 'UTC'),
      message_id        String,
      bridge_id         LowCardinality(String),
      pool_id           LowCardinality(String),
      ip                LowCardinality(String),
      recipient         String,
      recipient_domain  LowCardinality(String),
      mx                String,
      reply_code        UInt16,
      reply             String,
      reason            LowCardinality(String),
      attempt           UInt16,
      url               String,
      user_agent        String,
      client_ip         String,
      machine           UInt8,
      hard              UInt8,
      status            LowCardinality(String),
      feedback_type     LowCardinality(String)
    )
    ENGINE = ReplacingMergeTree
    PARTITION BY toYYYYMM(ts)
    ORDER BY (bridge_id, type, ts, event_id)`,
    // Columns added after the first release: a store created earlier gets them here.
    ...['url String', 'user_agent String', 'client_ip String', 'machine UInt8', 'hard UInt8', 'status LowCardinality(String)', 'feedback_type LowCardinality(String)'].map(
      (column) => `ALTER TABLE ${database}.events ADD COLUMN IF NOT EXISTS ${column}`,
    ),
    // Bounces and complaints are tied back to their message by id: a skip index keeps that cheap.
    `ALTER TABLE ${database}.events ADD INDEX IF NOT EXISTS events_message_id message_id TYPE bloom_filter GRANULARITY 4`,
  ];
}

/** Applies {@link eventsSchema}. */
export async function applySchema(client: ClickHouseClient, database: string): Promise<void> {
  for (const statement of eventsSchema(database)) await client.command({ query: statement });
}
