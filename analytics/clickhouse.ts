import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';

export type { ClickHouseClient } from '@clickhouse/client';

/** Where analytics live: a ClickHouse server URL, or an embedded chDB data directory. */
export type ClickHouseTarget = { url: string } | { chdbPath: string };

/**
 * Opens a `@clickhouse/client` on a ClickHouse server or on embedded chDB (one chDB data
 * directory per process: only the process that runs the analytics writer opens it).
 */
export function openClickHouse(target: ClickHouseTarget): ClickHouseClient {
  if ('url' in target) {
    // The client's own console logger stays off: failures reach our code as errors and pino.
    return createClient({
      url: target.url,
      request_timeout: 30_000,
      clickhouse_settings: { async_insert: 0 },
      log: { level: ClickHouseLogLevel.OFF },
    });
  }
  // chdb declares the Connection interface from @clickhouse/client-common, whose copy of the
  // settings types differs nominally from the one @clickhouse/client bundles; the shapes match.
  type ClientConnection = NonNullable<Parameters<typeof createClient>[0]>['connection'];
  const connection = createChdbConnection({ path: target.chdbPath }) as unknown as ClientConnection;
  return createClient({ connection });
}
