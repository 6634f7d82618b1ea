import { queryTimeline, type ClickHouseClient } from '../../analytics/index.js';
import {
  acceptMessage,
  EventPublisher,
  Spool,
  TrackingTokens,
  VerpAddresses,
  type Config,
  type Logger,
  type Submission,
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
  caches: Pick<ControlCaches, 'auth' | 'isSuppressed'>;
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
  const events = new EventPublisher(wiring.engines.commandsRedis, config.redis.prefix);
  const deps = {
    queues: queues.pools,
    events,
    logger,
    idempotency: queues.idempotency,
    spool,
    maxMessageBytes: config.limits.maxMessageBytes,
    spoolThresholdBytes: config.spool.thresholdBytes,
  };
  return { accept: (submission) => acceptMessage(deps, submission), events };
}

/** `POST /v1/send` (and the rest of the send API) plus the tracking endpoints, on the API port. */
async function startSendApi(wiring: IngressWiring, acceptance: Acceptance, stack: CloseStack) {
  const { config, logger, clickhouse } = wiring;
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
    },
    suppressed: wiring.caches.isSuppressed,
    timeline: (messageId, bridgeId) => queryTimeline(clickhouse, config.clickhouse.database, messageId, { bridgeId }),
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
