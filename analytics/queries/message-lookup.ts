import type { ClickHouseClient } from '@clickhouse/client';
import type { InheritedLabels } from '../../core/index.js';
import { typeIs } from '../schema/events-schema.js';

/** Bridge, Pool, recipients, tag and metadata of one message, from its `queued` events; undefined if unknown. */
export async function queryMessage(
  client: ClickHouseClient,
  database: string,
  messageId: string,
): Promise<
  | {
      messageId: string;
      bridgeId: string;
      poolId: string;
      recipients: string[];
      tag: string;
      metadata: Record<string, string>;
    }
  | undefined
> {
  const result = await client.query({
    query: `
      SELECT bridge_id, pool_id, groupUniqArray(recipient) AS recipients,
        any(tag) AS message_tag, any(metadata) AS message_metadata
      FROM ${database}.events
      WHERE message_id = {messageId:String} AND ${typeIs('queued')}
      GROUP BY bridge_id, pool_id
      LIMIT 1`,
    query_params: { messageId },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{
    bridge_id: string;
    pool_id: string;
    recipients: string[];
    message_tag: string;
    message_metadata: Record<string, string>;
  }>();
  return (
    row && {
      messageId,
      bridgeId: row.bridge_id,
      poolId: row.pool_id,
      recipients: row.recipients,
      tag: row.message_tag,
      metadata: row.message_metadata,
    }
  );
}

/**
 * Tag, metadata and sandbox flag of messages, from their `queued` events (one query for all): the
 * tracking events, which know only the message id, get them from here. Messages without any are
 * left out.
 */
export async function queryMessageLabels(
  client: ClickHouseClient,
  database: string,
  messageIds: readonly string[],
): Promise<Map<string, InheritedLabels>> {
  const out = new Map<string, InheritedLabels>();
  if (messageIds.length === 0) return out;
  const result = await client.query({
    query: `
      SELECT message_id, any(tag) AS message_tag, any(metadata) AS message_metadata, max(sandbox) AS message_sandbox
      FROM ${database}.events
      WHERE message_id IN {messageIds:Array(String)} AND ${typeIs('queued')}
        AND (tag != '' OR notEmpty(metadata) OR sandbox = 1)
      GROUP BY message_id`,
    query_params: { messageIds: [...new Set(messageIds)] },
    format: 'JSONEachRow',
  });
  type Row = {
    message_id: string;
    message_tag: string;
    message_metadata: Record<string, string>;
    message_sandbox: number;
  };
  for (const row of await result.json<Row>())
    out.set(row.message_id, {
      tag: row.message_tag,
      metadata: row.message_metadata,
      sandbox: Number(row.message_sandbox) === 1,
    });
  return out;
}
