import { Writable } from 'node:stream';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { createLogger, type Config, type RedisTarget } from '../core/index.js';
import { startDelivery } from './delivery.js';
import { storeClient } from './store-rpc.js';

/** What the main thread hands a delivery thread (see delivery-host.ts). */
export interface DeliveryThreadData {
  entry: string;
  /** OS name of the thread (see thread-boot.mjs). */
  threadName: string;
  /** How much lower than the process the thread is scheduled (see thread-boot.mjs). */
  niceness: number;
  config: Config;
  redisTarget: RedisTarget;
  masterKey: string;
  trackingBaseUrl: string;
  storePort: MessagePort;
  logLevel: string;
}

// A delivery thread: the delivery role on its own core; the store is the main thread's (over a
// MessagePort) and log lines go to the main thread's log destination.
const port = parentPort;
if (!port) throw new Error('delivery-thread runs as a worker thread');
const data = workerData as DeliveryThreadData;
const lines = new Writable({
  write(chunk: Buffer, _enc, done) {
    port.postMessage({ log: chunk.toString('utf8') });
    done();
  },
});
const logger = createLogger({ level: data.logLevel, destination: lines }).child({ thread: 'delivery' });
const delivery = await startDelivery({
  config: data.config,
  logger,
  store: storeClient(data.storePort),
  redisTarget: data.redisTarget,
  masterKey: Buffer.from(data.masterKey, 'hex'),
  trackingBaseUrl: data.trackingBaseUrl,
  onUnbindableIps: (unbindableIps) => port.postMessage({ unbindableIps }),
  // Nothing waits on this thread's writes in a request: under load they go out together, spaced.
  flushIntervalMs: data.config.delivery.flushMs,
});
port.on('message', (m: { close?: true }) => {
  if (!m.close) return;
  delivery.close().then(
    () => {
      port.postMessage({ closed: true });
      data.storePort.close();
      port.close();
    },
    (err: unknown) => logger.error({ err }, 'delivery thread did not close cleanly'),
  );
});
port.postMessage({ ready: true });
