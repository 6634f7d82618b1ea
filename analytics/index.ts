export { openClickHouse, type ClickHouseClient, type ClickHouseTarget } from './clickhouse.js';
export { applySchema, eventsSchema } from './schema/events-schema.js';
export { startEventWriter, toRow, type EventWriter, type EventWriterOptions } from './sink/event-writer.js';
export { queryBridgeStats, BRIDGE_STATS_SCHEMA, type BridgeStats } from './queries/bridge-stats.js';
export { queryMessage } from './queries/message-lookup.js';
export { AGGREGATE_TABLE, AGGREGATE_VIEW, type SchemaOptions } from './schema/events-schema.js';
export {
  queryStats,
  querySeries,
  compareBridges,
  computeRates,
  queryTotals,
  STATS_SCHEMA,
  SERIES_SCHEMA,
  SERIES_POINT_SCHEMA,
  RATES_SCHEMA,
  queryTimeline,
  TIMELINE_SCHEMA,
  TIMELINE_EVENT_SCHEMA,
  type Stats,
  type StatsRates,
  type StatsScope,
  type StatsRange,
  type SeriesInterval,
  type SeriesPoint,
  type BridgeComparison,
  type TimelineEvent,
  type TimelineOptions,
} from './queries/index.js';
