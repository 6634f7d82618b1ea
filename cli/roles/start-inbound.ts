import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { queryMessage, type ClickHouseClient } from '../../analytics/index.js';
import {
  controlChannel,
  INBOUND_QUEUE,
  type Config,
  type EventPublisher,
  type InboundReport,
  type Logger,
  type Store,
  type VerpAddresses,
} from '../../core/index.js';
import { startInboundMx, type TlsMaterial } from '../../ingress/index.js';
import { createReportProcessor } from '../../workers/bounces/index.js';
import { startOwning } from './close-stack.js';

/** What {@link startInbound} is wired with. */
export interface InboundWiring {
  config: Config;
  logger: Logger;
  producerRedis: Redis;
  workerRedis: Redis;
  verp: VerpAddresses;
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
  const { config, logger, producerRedis, verp } = wiring;
  return startOwning(logger, async (stack) => {
    const queue = stack.own(
      new Queue<InboundReport>(INBOUND_QUEUE, { connection: producerRedis, prefix: config.redis.prefix }),
    );
    stack.own(startReportWorker(wiring));
    const mx = stack.own(
      await startInboundMx({
        host: config.host,
        port: config.ports.mx,
        heloName: config.heloName,
        tls: wiring.tls,
        maxBytes: config.inbound.maxBytes,
        accepts: (address) => address.toLowerCase() === config.inbound.fblAddress || verp.parse(address) !== undefined,
        enqueue: async (report) => {
          await queue.add('report', report, { jobId: report.id, ...REPORT_JOB_OPTIONS });
        },
        logger,
      }),
    );
    return { port: mx.port };
  });
}

/** The worker that classifies queued reports, links them by VERP token and records suppressions. */
function startReportWorker(wiring: InboundWiring): Worker<InboundReport> {
  const { config, logger, producerRedis, verp, analytics, store } = wiring;
  const worker = new Worker<InboundReport>(
    INBOUND_QUEUE,
    createReportProcessor({
      parseVerp: (address) => verp.parse(address),
      lookupMessage: (messageId) => queryMessage(analytics, config.clickhouse.database, messageId),
      events: wiring.events,
      addSuppression: (input) => store.addSuppression(input),
      announce: async (message) => {
        await producerRedis.publish(controlChannel(config.redis.prefix), JSON.stringify(message));
      },
      saveUnmatched: (report) => store.saveUnmatchedReport(report),
      scope: config.inbound.suppressionScope,
      logger,
    }),
    { connection: wiring.workerRedis, prefix: config.redis.prefix, concurrency: 4 },
  );
  worker.on('error', (err) => logger.warn({ err }, 'inbound report worker error'));
  return worker;
}
