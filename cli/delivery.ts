import { SHAPING_SETTING } from '../admin-api/index.js';
import {
  BridgeSettingsCache,
  controlChannel,
  EventPublisher,
  IdempotencyKeys,
  listenToControl,
  parseShapingPolicy,
  PoolJobRunner,
  PoolQueuePrefixes,
  PoolQueues,
  Spool,
  SuppressionIndex,
  TrackingTokens,
  TtlCache,
  UnsubscribeAddresses,
  VerpAddresses,
  type Config,
  type ControlMessage,
  type DeliveryJob,
  type Logger,
  type RedisTarget,
  type Store,
  keyLayoutOf,
} from '../core/index.js';
import { classifySmtpReply } from '../workers/bounces/index.js';
import {
  ConnectionPool,
  createMessagePass,
  createMxResolver,
  Shaper,
  SourceIps,
  startPoolWorkers,
  type UnbindableIp,
} from '../workers/index.js';
import { createSigningKeyLookup } from '../workers/signing/index.js';
import { createTrackingPlanner, createUnsubscribePlanner } from '../workers/tracking/index.js';
import { CopyThreads } from './copy-threads.js';
import { redisConnector } from './redis-connect.js';
import { createCopyMaker, type CopyTask } from './copy-work.js';

/**
 * The control-plane reads delivery makes (all cached here, and invalidated on announcements), and its
 * one write: the suppression of a simulator address (a simulated hard bounce or complaint).
 */
export type DeliveryStore = Pick<
  Store,
  | 'listPools'
  | 'getPool'
  | 'getBridge'
  | 'getSigningKey'
  | 'suppressionKeys'
  | 'bridgeAccounts'
  | 'getSetting'
  | 'addSuppression'
>;

/** What {@link startDelivery} is wired with. */
export interface DeliveryWiring {
  config: Config;
  logger: Logger;
  store: DeliveryStore;
  redisTarget: RedisTarget;
  masterKey: Buffer;
  /** Base URL of the open/click endpoints when a Bridge has none of its own. */
  trackingBaseUrl: string;
  /** Told the Pool IPs this host cannot bind whenever that list changes (a delivery thread posts it on). */
  onUnbindableIps?: (ips: UnbindableIp[]) => void;
  /**
   * Shortest time between two of its batched Redis writes (events, job progress, shaping) and
   * copy requests, ms; 0 flushes every tick. Set where nothing waits on them in a request (a
   * delivery thread). @defaultValue 0
   */
  flushIntervalMs?: number;
}

/** Running delivery workers. */
export interface Delivery {
  /** The Pool IPs this delivery cannot bind on its host (for `/readyz` and `/metrics`). */
  unbindableIps(): UnbindableIp[];
  close(): Promise<void>;
}

/** How often every Pool IP is bound again: an address added to or taken off the host is noticed. */
const SOURCE_IP_RECHECK_MS = 30_000;

/**
 * The delivery role: one BullMQ worker per Pool queue, each job a chain of steps (suppression check,
 * MX, IP, shaping limit, copy = tracking + DKIM, SMTP, classification), events to the stream. Owns
 * its Redis connections, caches and control-channel subscription, so that it runs the same in the
 * main thread, on a delivery thread ({@link startDeliveryThread}) or in a `--role worker` process.
 */
export async function startDelivery(wiring: DeliveryWiring): Promise<Delivery> {
  const { logger } = wiring;
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const fn of closers.reverse())
      await fn().catch((err: unknown) => logger.warn({ err }, 'error while stopping delivery'));
    closers.length = 0;
  };
  let sourceIps: SourceIps;
  try {
    sourceIps = await wire(wiring, closers);
  } catch (err) {
    await close();
    throw err;
  }
  return { close, unbindableIps: () => sourceIps.report() };
}

async function wire(wiring: DeliveryWiring, closers: (() => Promise<unknown>)[]): Promise<SourceIps> {
  const { config, logger, store } = wiring;
  const connect = (name: string) => redisConnector(wiring.redisTarget, logger, closers)(name, null);
  const redis = connect('delivery');
  // BullMQ defines its ~50 Lua scripts as commands on its connection, and ioredis copies every one
  // onto each pipeline it builds (one per tick with auto-pipelining): events, shaping and job
  // progress go through a connection of their own, where a pipeline costs next to nothing.
  const commandsRedis = connect('delivery-commands');
  const batching = { flushIntervalMs: wiring.flushIntervalMs ?? 0 };
  const events = new EventPublisher(commandsRedis, config.redis.prefix, {
    ...batching,
    shards: config.redis.eventShards,
  });
  const spool = new Spool(config.spool.dir);
  await spool.init();

  // Read on every delivery pass: cached, and dropped on the control channel's announcements.
  const bridgeSettings = new BridgeSettingsCache(store);
  const signingKeys = new TtlCache((domain) => store.getSigningKey(domain));
  const pools = new TtlCache((poolId) => store.getPool(poolId));
  const suppressions = new SuppressionIndex(async () => ({
    entries: await store.suppressionKeys(),
    bridges: await store.bridgeAccounts(),
  }));
  await suppressions.refresh();
  const reloadSuppressions = () =>
    void suppressions.refresh().catch((err: unknown) => logger.warn({ err }, 'suppression list not reloaded'));
  // Pool IPs this host cannot bind are never picked: checked at start, on Pool changes and on a timer.
  const sourceIps = new SourceIps({ logger, ...(wiring.onUnbindableIps ? { onChange: wiring.onUnbindableIps } : {}) });
  const recheckIps = () =>
    void store
      .listPools()
      .then((list) => sourceIps.refreshAll(list))
      .catch((err: unknown) => logger.warn({ err }, 'pool IPs not checked'));
  await sourceIps.refreshAll(await store.listPools());
  const recheckTimer = setInterval(recheckIps, SOURCE_IP_RECHECK_MS);
  recheckTimer.unref();
  closers.push(() => Promise.resolve(clearInterval(recheckTimer)));

  const loadShaping = async () => {
    const stored = await store.getSetting(SHAPING_SETTING);
    return stored === undefined ? config.delivery.shaping : parseShapingPolicy(stored);
  };
  const shaper = new Shaper(commandsRedis, config.redis.prefix, await loadShaping(), {
    logger: logger.child({ component: 'shaping' }),
    ...batching,
  });
  const reloadShaping = () =>
    loadShaping().then(
      (policy) => shaper.setPolicy(policy),
      (err: unknown) => logger.error({ err }, 'shaping policy not reloaded'),
    );

  const stopControl = await listenToControl({
    redis,
    prefix: config.redis.prefix,
    logger,
    onMessage: (m: ControlMessage) => {
      if (m.type === 'domain-changed') signingKeys.invalidate(m.domain);
      if (m.type === 'shaping-changed') void reloadShaping();
      if (m.type === 'pool-changed') {
        pools.invalidate(m.poolId);
        void pools
          .get(m.poolId)
          .then((pool) => sourceIps.refreshPool(m.poolId, pool && !pool.deletedAt ? pool : undefined))
          .catch((err: unknown) => logger.warn({ err, poolId: m.poolId }, 'pool IPs not checked'));
      }
      if (m.type === 'suppression-changed') reloadSuppressions();
      if (m.type === 'bridge-changed') bridgeSettings.invalidate(m.bridgeId);
    },
    onResubscribe: () => {
      bridgeSettings.clear();
      signingKeys.clear();
      pools.clear();
      reloadSuppressions();
      recheckIps();
    },
  });
  closers.push(() => Promise.resolve(stopControl()));

  // As many idle connections per (IP, MX) as deliveries may run at once: with fewer, every
  // burst above the cap closes connections only to open new ones (connect, greeting, EHLO) for
  // the next jobs. The shaper's connection limits still bound how many are in use.
  const connections = new ConnectionPool({
    maxTransactions: config.delivery.maxTransactionsPerConnection,
    maxIdlePerKey: config.delivery.concurrency,
  });
  closers.push(() => Promise.resolve(connections.close()));
  const verp = new VerpAddresses(wiring.masterKey, config.verp.prefix, config.verp.domain);
  // Copies (tracking rewrite + DKIM) are CPU work: made on worker threads when the machine has cores to spare.
  const trackingTokens = new TrackingTokens(wiring.masterKey);
  let makeCopy = createCopyMaker(trackingTokens);
  if (config.delivery.copyThreads > 0) {
    const threads = await CopyThreads.start({
      size: config.delivery.copyThreads,
      masterKey: wiring.masterKey,
      logger,
      batching,
      niceness: config.delivery.niceness,
    });
    closers.push(() => threads.close());
    makeCopy = (task) => threads.run(task);
  }
  // A message of a batch job that needs another pass continues as a job of its own.
  const layout = keyLayoutOf(config.redis);
  const retries = new PoolQueues(redis, config.redis.prefix, { prefixes: new PoolQueuePrefixes(layout, store) });
  closers.push(() => retries.close());
  const runner = new PoolJobRunner({
    retries,
    redis: commandsRedis,
    prefix: config.redis.prefix,
    concurrency: config.delivery.concurrency,
    batching,
  });
  const idempotency = new IdempotencyKeys(commandsRedis, config.redis.prefix);
  const pass = createMessagePass({
    store: { getPool: (poolId) => pools.get(poolId) },
    events,
    logger,
    resolveMx: createMxResolver(config.delivery.mxOverride ? { override: config.delivery.mxOverride } : {}),
    heloName: config.heloName,
    timeoutMs: config.delivery.smtpTimeoutMs,
    retry: {
      baseMs: config.delivery.retryBaseMs,
      maxMs: config.delivery.retryMaxMs,
      maxAgeMs: config.delivery.retryMaxAgeMs,
    },
    spool,
    pool: connections,
    shaper,
    requireTls: (domain, rollup) =>
      config.delivery.requireTls.includes(domain) || config.delivery.requireTls.includes(rollup),
    envelopeFrom: (job, recipient) => verp.address(job.messageId, recipient),
    suppressed: (bridgeId, recipients) => suppressions.among(bridgeId, recipients),
    markIdempotencyTaken: (ref, messageId) => idempotency.take(ref, messageId),
    dueCheck: async (bridgeId, credential) => {
      const bridge = await store.getBridge(bridgeId);
      if (!bridge || bridge.deletedAt !== null) return 'bridge-deleted';
      const status = credential === 'smtp' ? bridge.smtpStatus : credential === 'api' ? bridge.apiStatus : 'active';
      return status === 'revoked' ? 'credential-revoked' : undefined;
    },
    classifyBounce: classifySmtpReply,
    sourceIps,
    bridgeMode: async (bridgeId) => (await bridgeSettings.get(bridgeId))?.mode,
    suppressSimulated: async ({ bridgeId, address, reason, messageId }) => {
      await store.addSuppression({ bridgeId, address, reason, sourceMessageId: messageId });
      const announcement: ControlMessage = { type: 'suppression-changed', bridgeId };
      await commandsRedis.publish(controlChannel(config.redis.prefix), JSON.stringify(announcement));
    },
    prepare: prepareCopy(
      createTrackingPlanner({ settings: bridgeSettings, defaultBaseUrl: () => wiring.trackingBaseUrl }),
      createUnsubscribePlanner({
        settings: bridgeSettings,
        defaultBaseUrl: () => wiring.trackingBaseUrl,
        tokens: trackingTokens,
        addresses: new UnsubscribeAddresses(wiring.masterKey, config.verp.domain),
      }),
      createSigningKeyLookup({
        keyFor: (domain) => signingKeys.get(domain),
        accountOf: async (bridgeId) => (await bridgeSettings.get(bridgeId))?.accountId,
      }),
      makeCopy,
    ),
  });
  const workers = await startPoolWorkers({
    store,
    connection: redis,
    prefix: config.redis.prefix,
    cluster: layout.cluster,
    concurrency: config.delivery.concurrency,
    lockMs: config.delivery.jobLockMs,
    processor: runner.processor(pass),
    unfinished: (job) => runner.unfinished(job),
    events,
    spool,
    logger,
  });
  closers.push(() => workers.close());
  return sourceIps;
}

/**
 * The copy a recipient gets: what to track, its List-Unsubscribe links and which key signs (looked
 * up here), made by `make`.
 */
function prepareCopy(
  planTracking: (job: DeliveryJob, recipients: readonly string[]) => Promise<CopyTask['tracking']>,
  planUnsubscribe: (job: DeliveryJob, recipients: readonly string[]) => Promise<CopyTask['unsubscribe']>,
  signingKeyFor: (raw: Buffer, bridgeId: string) => Promise<CopyTask['signingKey']>,
  make: (task: CopyTask) => Promise<Buffer>,
) {
  return async (raw: Buffer, job: DeliveryJob, recipients: readonly string[]) => {
    const [tracking, unsubscribe, signingKey] = await Promise.all([
      planTracking(job, recipients),
      planUnsubscribe(job, recipients),
      signingKeyFor(raw, job.bridgeId),
    ]);
    return tracking || unsubscribe || signingKey ? make({ raw, tracking, unsubscribe, signingKey }) : raw;
  };
}
