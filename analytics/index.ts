export { openClickHouse, type ClickHouseClient, type ClickHouseTarget } from './clickhouse.js';
export {
  applySchema,
  eventsSchema,
  AGGREGATE_TABLE,
  AGGREGATE_VIEW,
  type SchemaOptions,
} from './schema/events-schema.js';
export { startSqlEndpoint, type SqlEndpoint, type SqlEndpointOptions, type SqlLimits } from './sql-endpoint.js';
export { screenQuery, SqlError } from './sql-screen.js';
export { startEventWriter, toRow, type EventWriter, type EventWriterOptions } from './sink/event-writer.js';
// The queries are the folder admin-api may import directly; this entry re-exports all of them.
export * from './queries/index.js';
