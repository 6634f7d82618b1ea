import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { queryMessage, type ClickHouseClient } from '../../analytics/index.js';
import {
  controlChannel,
  INBOUND_QUEUE,
  unsubscribeRecipient,
  type Config,
  type ControlMessage,
  type EventPublisher,
  type InboundReport,
  type Logger,
  type Store,
  type UnsubscribeAddresses,
  type VerpAddresses,
  keyLayoutOf,
  queuePrefix,
  producerQueue,
} from '../../core/index.js';
import { startInboundMx, type TlsMaterial } from '../../ingress/index.js';
import { createReportProcessor, createUnsubscribeMailProcessor } from '../../workers/bounces/index.js';
import { startOwning } from './close-stack.js';

/** What {@link startInbound} is wired with. */
export interface InboundWiring {
  config: Config;
  logger: Logger;
  producerRedis: Redis;
  workerRedis: Redis;
  verp: VerpAddresses;
  /** The `mailto:` addresses of List-Unsubscribe headers (same domain as VERP). */
  unsubscribeAddresses: UnsubscribeAddresses;
  analytics: ClickHouseClient;
  events: EventPublisher;
  store: Store;
  tls: TlsMaterial;
}

/** The running inbound MX and its report worker. */
export interface Inbound {
  port: number;
  /** Stops the MX listener first, then the worker (its current reports finished), then the queue. */
  close(): Promise<void>;
}

/** Report jobs: retried with backoff, kept a while for operators. */
const REPORT_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const;

/**
 * Bounces and complaints (part of the ingress role): the inbound MX of the bounce domain queues
 * every report it accepts, and a worker classifies it and ties it to its message.
 */
export function startInbound(wiring: InboundWiring): Promise<Inbound> {
  const { config, logger, producerRedis, verp, unsubscribeAddresses } = wiring;
  return startOwning(logger, async (stack) => {
    const inboundPrefix = queuePrefix(keyLayoutOf(config.redis), INBOUND_QUEUE);
    const queue = stack.own(producerQueue<InboundReport>(INBOUND_QUEUE, producerRedis, inboundPrefix));
    stack.own(startReportWorker(wiring));
    const mx = stack.own(
      await startInboundMx({
        host: config.host,
        port: config.ports.mx,
        heloName: config.heloName,
        tls: wiring.tls,
        maxBytes: config.inbound.maxBytes,
        accepts: (address) =>
          address.toLowerCase() === config.inbound.fblAddress ||
          verp.parse(address) !== undefined ||
          unsubscribeAddresses.parse(address) !== undefined,
        enqueue: async (report) => {
          await queue.add('report', report, { jobId: report.id, ...REPORT_JOB_OPTIONS });
        },
        logger,
      }),
    );
    return { port: mx.port };
  });
}

/**
 * The worker that classifies queued reports, links them by VERP token and records suppressions; mail
 * to a List-Unsubscribe address unsubscribes its recipient instead.
 */
function startReportWorker(wiring: InboundWiring): Worker<InboundReport> {
  const { config, logger, producerRedis, verp, analytics, store } = wiring;
  const lookupMessage = (messageId: string) => queryMessage(analytics, config.clickhouse.database, messageId);
  const announce = async (message: ControlMessage) => {
    await producerRedis.publish(controlChannel(config.redis.prefix), JSON.stringify(message));
  };
  const unsubscribeMail = createUnsubscribeMailProcessor({
    parseAddress: (address) => wiring.unsubscribeAddresses.parse(address),
    lookupMessage,
    unsubscribe: (target) =>
      unsubscribeRecipient(
        { addSuppression: (input) => store.addSuppression(input), announce, events: wiring.events },
        target,
        'mailto',
      ),
    logger,
  });
  const reports = createReportProcessor({
    parseVerp: (address) => verp.parse(address),
    lookupMessage,
    events: wiring.events,
    addSuppression: (input) => store.addSuppression(input),
    announce,
    saveUnmatched: (report) => store.saveUnmatchedReport(report),
    scope: config.inbound.suppressionScope,
    logger,
  });
  const worker = new Worker<InboundReport>(
    INBOUND_QUEUE,
    async (job) => {
      if (!(await unsubscribeMail(job))) await reports(job);
    },
    { connection: wiring.workerRedis, prefix: queuePrefix(keyLayoutOf(config.redis), INBOUND_QUEUE), concurrency: 4 },
  );
  worker.on('error', (err) => logger.warn({ err }, 'inbound report worker error'));
  return worker;
}
