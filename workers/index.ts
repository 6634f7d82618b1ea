export { startPoolWorkers, type PoolWorkers, type PoolWorkersOptions } from './delivery/pool-workers.js';
export {
  createMessagePass,
  retryDelay,
  type DeliveryProcessorDeps,
  type RetryPolicy,
} from './delivery/delivery-processor.js';
export { createMxResolver, type MxResolver, type MxLookup } from './delivery/mx-resolver.js';
export { classifyReply, type DeliveryResult, type DeliveryStatus } from './delivery/classify-reply.js';
export { pickIp } from './delivery/pick-ip.js';
export { SourceIps, SOURCE_IP_UNAVAILABLE, type SourceIpsOptions, type UnbindableIp } from './delivery/source-ips.js';
export { groupByDomain } from './delivery/deliver-recipients.js';
export { ConnectionPool, type ConnectionPoolOptions } from './delivery/connection-pool.js';
export { MxSession } from './delivery/mx-session.js';
export {
  Shaper,
  type AcquireResult,
  type ShapingGrant,
  type ShapingRefusal,
  type ShapingReason,
  type ShaperOptions,
} from './delivery/shaping/shaper.js';
export { readThrottleCounts, type ThrottleCount } from './delivery/shaping/throttle-report.js';

export { rollupKey } from './delivery/shaping/mx-rollup.js';
