import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { queryMessage, type ClickHouseClient } from '../analytics/index.js';
import {
  controlChannel,
  INBOUND_QUEUE,
  type Config,
  type EventPublisher,
  type InboundReport,
  type Logger,
  type Store,
  type VerpAddresses,
} from '../core/index.js';
import { startInboundMx, type TlsMaterial } from '../ingress/index.js';
import { createReportProcessor } from '../workers/bounces/index.js';

/** What {@link startInbound} is wired with (the composition root's clients). */
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
  closers: (() => Promise<unknown>)[];
}

/**
 * Bounces and complaints: the inbound MX of the bounce domain queues every report it accepts,
 * and a worker classifies it and ties it to its message (part of the composition root).
 */
export async function startInbound(wiring: InboundWiring): Promise<{ port: number }> {
  const { config, logger, producerRedis, workerRedis, verp, analytics, events, store, tls, closers } = wiring;
  const inboundQueue = new Queue<InboundReport>(INBOUND_QUEUE, {
    connection: producerRedis,
    prefix: config.redis.prefix,
  });
  closers.push(() => inboundQueue.close());
  const inboundWorker = new Worker<InboundReport>(
    INBOUND_QUEUE,
    createReportProcessor({
      parseVerp: (address) => verp.parse(address),
      lookupMessage: (messageId) => queryMessage(analytics, config.clickhouse.database, messageId),
      events,
      addSuppression: (input) => store.addSuppression(input),
      announce: async (message) => {
        await producerRedis.publish(controlChannel(config.redis.prefix), JSON.stringify(message));
      },
      saveUnmatched: (report) => store.saveUnmatchedReport(report),
      scope: config.inbound.suppressionScope,
      logger,
    }),
    { connection: workerRedis, prefix: config.redis.prefix, concurrency: 4 },
  );
  inboundWorker.on('error', (err) => logger.warn({ err }, 'inbound report worker error'));
  closers.push(() => inboundWorker.close());
  const mx = await startInboundMx({
    host: config.host,
    port: config.ports.mx,
    heloName: config.heloName,
    tls,
    maxBytes: config.inbound.maxBytes,
    accepts: (address) => address.toLowerCase() === config.inbound.fblAddress || verp.parse(address) !== undefined,
    enqueue: async (report) => {
      await inboundQueue.add('report', report, {
        jobId: report.id,
        attempts: 5,
        backoff: { type: 'exponential', delay: 1000 },
        removeOnComplete: { age: 3600, count: 1000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      });
    },
    logger,
  });
  closers.push(() => mx.close());

  return mx;
}
