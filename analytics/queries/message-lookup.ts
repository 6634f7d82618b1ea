import type { ClickHouseClient } from '@clickhouse/client';
import { typeIs } from '../schema/events-schema.js';

/** Bridge, Pool and recipients of one message, from its `queued` events; undefined if unknown. */
export async function queryMessage(
  client: ClickHouseClient,
  database: string,
  messageId: string,
): Promise<{ messageId: string; bridgeId: string; poolId: string; recipients: string[] } | undefined> {
  const result = await client.query({
    query: `
      SELECT bridge_id, pool_id, groupUniqArray(recipient) AS recipients
      FROM ${database}.events
      WHERE message_id = {messageId:String} AND ${typeIs('queued')}
      GROUP BY bridge_id, pool_id
      LIMIT 1`,
    query_params: { messageId },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ bridge_id: string; pool_id: string; recipients: string[] }>();
  return row && { messageId, bridgeId: row.bridge_id, poolId: row.pool_id, recipients: row.recipients };
}
