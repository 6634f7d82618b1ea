import { MessageChannel, Worker } from 'node:worker_threads';
import { writeLogLines } from '../core/index.js';
import type { UnbindableIp } from '../workers/index.js';
import type { Delivery, DeliveryWiring } from './delivery.js';
import type { DeliveryThreadData } from './delivery-thread.js';
import { serveStore } from './store-rpc.js';

type ThreadMessage = { ready: true } | { closed: true } | { log: string } | { unbindableIps: UnbindableIp[] };

const CLOSE_TIMEOUT_MS = 30_000;
const RESTART_DELAY_MS = 1000;

/**
 * Runs the delivery role on a worker thread of this process, so that ingress (main thread) and
 * delivery use a core each. The thread reads the control plane through this thread's store and
 * logs through this thread's logger. Should it die, its jobs are picked up again by BullMQ's
 * stalled-job check and a new thread is started.
 */
export async function startDeliveryThread(wiring: DeliveryWiring): Promise<Delivery> {
  let closing = false;
  let current: Worker | undefined;
  // The thread's latest report of Pool IPs it cannot bind (it reports again when it restarts).
  let unbindable: UnbindableIp[] = [];
  const spawn = () =>
    new Promise<Worker>((resolve, reject) => {
      const channel = new MessageChannel();
      unbindable = [];
      serveStore(channel.port1, wiring.store);
      const data: Omit<DeliveryThreadData, 'storePort'> & { storePort: unknown } = {
        entry: new URL('./delivery-thread.ts', import.meta.url).href,
        threadName: 'bm-delivery',
        niceness: wiring.config.delivery.niceness,
        config: wiring.config,
        redisTarget: wiring.redisTarget,
        masterKey: wiring.masterKey.toString('hex'),
        trackingBaseUrl: wiring.trackingBaseUrl,
        storePort: channel.port2,
        logLevel: wiring.logger.level,
      };
      const worker = new Worker(new URL('./thread-boot.mjs', import.meta.url), {
        workerData: data,
        transferList: [channel.port2],
      });
      worker.on('message', (m: ThreadMessage) => {
        if ('log' in m) writeLogLines(wiring.logger, m.log);
        else if ('unbindableIps' in m) unbindable = m.unbindableIps;
        else if ('ready' in m) resolve(worker);
      });
      worker.on('error', (err) => {
        wiring.logger.error({ err }, 'delivery thread failed');
        reject(err);
      });
      worker.on('exit', (code) => {
        channel.port1.close();
        if (closing) return;
        wiring.logger.error({ code }, 'delivery thread exited; starting another');
        setTimeout(() => {
          if (closing) return;
          spawn().then(
            (next) => (current = next),
            (err: unknown) => wiring.logger.error({ err }, 'delivery thread not restarted'),
          );
        }, RESTART_DELAY_MS).unref();
      });
    });
  current = await spawn();
  return {
    unbindableIps: () => unbindable,
    close: async () => {
      closing = true;
      const worker = current;
      if (!worker) return;
      const closed = new Promise<void>((resolve) => {
        worker.on('message', (m: ThreadMessage) => 'closed' in m && resolve());
        worker.once('exit', () => resolve());
      });
      worker.postMessage({ close: true });
      const timer = setTimeout(() => void worker.terminate(), CLOSE_TIMEOUT_MS);
      await closed;
      clearTimeout(timer);
      await worker.terminate();
    },
  };
}
