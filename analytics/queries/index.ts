export { queryBridgeStats, BRIDGE_STATS_SCHEMA, type BridgeStats } from './bridge-stats.js';
export { queryMessage } from './message-lookup.js';
