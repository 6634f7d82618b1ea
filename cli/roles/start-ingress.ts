import { queryTimeline, searchMessages, type ClickHouseClient } from '../../analytics/index.js';
import {
  acceptMessage,
  BridgeLimiter,
  cancelMessage,
  controlChannel,
  EventPublisher,
  Spool,
  TrackingTokens,
  UnsubscribeAddresses,
  unsubscribeRecipient,
  VerpAddresses,
  type CancelledMessage,
  type Config,
  type ControlMessage,
  type Logger,
  type Submission,
  keyLayoutOf,
} from '../../core/index.js';
import { createSendApp, loadTlsMaterial, startSmtpIngress, type TlsMaterial } from '../../ingress/index.js';
import { startOwning, type CloseStack } from './close-stack.js';
import { listenHttp, urlHost } from './http-listen.js';
import type { ControlCaches } from './start-control-caches.js';
import type { Engines } from './start-engines.js';
import { startInbound } from './start-inbound.js';
import type { Queues } from './start-queues.js';

/** What {@link startIngress} is wired with: the engines and what the process shares. */
export interface IngressWiring {
  config: Config;
  logger: Logger;
  engines: Pick<Engines, 'masterKey' | 'producerRedis' | 'commandsRedis' | 'workerRedis' | 'store'>;
  /** Timelines (`GET /v1/messages/:id/events`) and the inbound report worker's message lookups. */
  clickhouse: ClickHouseClient;
  caches: Pick<ControlCaches, 'auth' | 'isSuppressed' | 'templates'>;
  queues: Pick<Queues, 'pools' | 'idempotency'>;
}

/** The running ingress role. */
export interface IngressRole {
  ports: { api: number; smtp: number; smtps: number; mx: number };
  /** Base URL of the send API (and of the tracking endpoints unless `BRIDGEMAIL_TRACKING_BASE_URL` is set). */
  apiUrl: string;
  /** Stops the inbound MX and its worker, then SMTP submission, then the send API. */
  close(): Promise<void>;
}

/** How acceptance (`core/accept`) is called, and the events publisher it shares with tracking and reports. */
interface Acceptance {
  accept: (submission: Submission) => Promise<string>;
  /** Cancels a scheduled message of a Bridge. */
  cancel: (messageId: string, bridgeId: string) => Promise<CancelledMessage>;
  events: EventPublisher;
}

/**
 * Ingress role: the send API with its open / click endpoints, SMTP submission (STARTTLS and
 * implicit TLS), and the inbound MX of the bounce domain with its report worker. Each listener
 * logs its URL once it is bound.
 */
export function startIngress(wiring: IngressWiring): Promise<IngressRole> {
  const { config, logger } = wiring;
  return startOwning(logger, async (stack) => {
    const acceptance = await prepareAcceptance(wiring);
    const api = await startSendApi(wiring, acceptance, stack);
    const tls = await loadTlsMaterial({ ...config.tls, dataDir: config.dataDir, hostname: config.publicHost });
    const smtp = await startSubmission(wiring, acceptance, tls, stack);
    const inbound = stack.own(
      await startInbound({
        config,
        logger,
        producerRedis: wiring.engines.producerRedis,
        workerRedis: wiring.engines.workerRedis,
        verp: new VerpAddresses(wiring.engines.masterKey, config.verp.prefix, config.verp.domain),
        unsubscribeAddresses: new UnsubscribeAddresses(wiring.engines.masterKey, config.verp.domain),
        analytics: wiring.clickhouse,
        events: acceptance.events,
        store: wiring.engines.store,
        tls,
      }),
    );
    const ports = { api: api.port, smtp: smtp.port, smtps: smtp.securePort, mx: inbound.port };
    const apiUrl = `http://${urlHost(config)}:${ports.api}`;
    logListeners(config, logger, ports, apiUrl);
    return { ports, apiUrl };
  });
}

/** Acceptance as both submission listeners use it: idempotency, suppression, spool, queue add. */
async function prepareAcceptance(wiring: IngressWiring): Promise<Acceptance> {
  const { config, logger, queues } = wiring;
  const spool = new Spool(config.spool.dir);
  await spool.init();
  const events = new EventPublisher(wiring.engines.commandsRedis, config.redis.prefix, {
    shards: config.redis.eventShards,
  });
  const deps = {
    queues: queues.pools,
    events,
    logger,
    idempotency: queues.idempotency,
    spool,
    maxMessageBytes: config.limits.maxMessageBytes,
    spoolThresholdBytes: config.spool.thresholdBytes,
  };
  // Per-Bridge sending limits, counted in Redis with every other ingress process (nothing to do without limits).
  const layout = keyLayoutOf(config.redis);
  const limiter = new BridgeLimiter(wiring.engines.commandsRedis, layout, (bridgeId) =>
    wiring.caches.auth.limits(bridgeId),
  );
  const accountLimiter = new BridgeLimiter(
    wiring.engines.commandsRedis,
    layout,
    () => Promise.resolve(null),
    'account',
  );
  const { clickhouse } = wiring;
  const cancelDeps = {
    queues: queues.pools,
    events,
    spool,
    logger,
    known: async (messageId: string, bridgeId?: string) =>
      (await queryTimeline(clickhouse, config.clickhouse.database, messageId, bridgeId ? { bridgeId } : {})).length > 0,
  };
  return {
    // The account's limits over all of its Bridges first, then the Bridge's own: a message counts in both or neither.
    accept: async (submission) => {
      const account = await wiring.caches.auth.accountLimits(submission.bridge.id);
      const bridgeAccepted = () => limiter.guard(submission.bridge.id, () => acceptMessage(deps, submission));
      return account ? accountLimiter.guard(account.accountId, bridgeAccepted, account.limits) : bridgeAccepted();
    },
    cancel: (messageId, bridgeId) => cancelMessage(cancelDeps, messageId, bridgeId),
    events,
  };
}

/** `POST /v1/send` (and the rest of the send API) plus the tracking endpoints, on the API port. */
async function startSendApi(wiring: IngressWiring, acceptance: Acceptance, stack: CloseStack) {
  const { config, logger, clickhouse } = wiring;
  const { store, producerRedis } = wiring.engines;
  const unsubscribeDeps = {
    addSuppression: (input: Parameters<typeof store.addSuppression>[0]) => store.addSuppression(input),
    announce: async (message: ControlMessage) => {
      await producerRedis.publish(controlChannel(config.redis.prefix), JSON.stringify(message));
    },
    events: acceptance.events,
  };
  const app = createSendApp({
    auth: wiring.caches.auth,
    accept: acceptance.accept,
    logger: logger.child({ component: 'send-api' }),
    maxMessageBytes: config.limits.maxMessageBytes,
    maxRecipients: config.limits.maxRecipients,
    messageIdDomain: config.heloName,
    tracking: {
      tokens: new TrackingTokens(wiring.engines.masterKey),
      events: acceptance.events,
      logger,
      scannerWindowMs: config.tracking.scannerWindowMs,
      unsubscribe: (target) => unsubscribeRecipient(unsubscribeDeps, target, 'one-click'),
    },
    suppressed: wiring.caches.isSuppressed,
    templates: wiring.caches.templates,
    cancel: acceptance.cancel,
    timeline: (messageId, bridgeId) => queryTimeline(clickhouse, config.clickhouse.database, messageId, { bridgeId }),
    messages: (search) => searchMessages(clickhouse, config.clickhouse.database, search),
  });
  return stack.own(await listenHttp(app.callback(), config.ports.api, config.host));
}

/** SMTP submission: STARTTLS on the SMTP port, implicit TLS on the SMTPS port; AUTH only over TLS. */
async function startSubmission(wiring: IngressWiring, acceptance: Acceptance, tls: TlsMaterial, stack: CloseStack) {
  const { config, logger } = wiring;
  return stack.own(
    await startSmtpIngress({
      auth: wiring.caches.auth,
      accept: acceptance.accept,
      logger,
      tls,
      host: config.host,
      port: config.ports.smtp,
      securePort: config.ports.smtps,
      heloName: config.heloName,
      maxMessageBytes: config.limits.maxMessageBytes,
      maxRecipients: config.limits.maxRecipients,
      idleTimeoutMs: config.limits.smtpIdleTimeoutMs,
      sessionMaxMs: config.limits.smtpSessionMaxMs,
      maxClients: config.limits.smtpMaxClients,
      suppressed: wiring.caches.isSuppressed,
      templates: wiring.caches.templates,
    }),
  );
}

function logListeners(config: Config, logger: Logger, ports: IngressRole['ports'], apiUrl: string): void {
  const host = urlHost(config);
  logger.info({ url: `${apiUrl}/v1/send` }, 'send API listening');
  logger.info({ url: `smtp://${host}:${ports.smtp}`, tls: 'STARTTLS' }, 'SMTP submission listening');
  logger.info({ url: `smtps://${host}:${ports.smtps}`, tls: 'implicit' }, 'SMTPS submission listening');
  logger.info(
    { url: `smtp://${host}:${ports.mx}`, fbl: config.inbound.fblAddress, bounceDomain: config.verp.domain },
    'inbound MX listening',
  );
}
