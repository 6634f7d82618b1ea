export { queryBridgeStats, type BridgeStats } from './bridge-stats.js';
