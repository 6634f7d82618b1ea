export {
  queryBridgeStats,
  queryLastSends,
  BRIDGE_STATS_SCHEMA,
  LAST_SENT_SCHEMA,
  type BridgeStats,
} from './bridge-stats.js';
export { queryMessage, queryMessageLabels } from './message-lookup.js';
export {
  queryStats,
  querySeries,
  compareBridges,
  computeRates,
  queryTotals,
  queryDeferrals,
  queryTagStats,
  DEFERRALS_SCHEMA,
  STATS_SCHEMA,
  SERIES_SCHEMA,
  SERIES_POINT_SCHEMA,
  RATES_SCHEMA,
  type Stats,
  type StatsRates,
  type StatsScope,
  type StatsRange,
  type SeriesInterval,
  type SeriesPoint,
  type BridgeComparison,
  type TagStats,
} from './stats.js';
export {
  queryTimeline,
  LIFECYCLE_ORDER_SQL,
  TIMELINE_SCHEMA,
  TIMELINE_EVENT_SCHEMA,
  type TimelineEvent,
  type TimelineOptions,
} from './timeline.js';
export { searchMessages } from './message-search.js';
