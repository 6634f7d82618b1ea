export { openClickHouse, type ClickHouseClient, type ClickHouseTarget } from './clickhouse.js';
export { applySchema, eventsSchema } from './schema/events-schema.js';
export { startEventWriter, toRow, type EventWriter, type EventWriterOptions } from './sink/event-writer.js';
export { queryBridgeStats, BRIDGE_STATS_SCHEMA, type BridgeStats } from './queries/bridge-stats.js';
export { queryMessage } from './queries/message-lookup.js';
