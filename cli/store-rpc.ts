import type { MessagePort } from 'node:worker_threads';
import type { DeliveryStore } from './delivery.js';

/** The store methods a delivery thread may call on the main thread's store. */
export const DELIVERY_STORE_METHODS = [
  'listPools',
  'getPool',
  'getBridge',
  'getSigningKey',
  'suppressionKeys',
  'bridgeAccounts',
  'getSetting',
  'addSuppression',
] as const satisfies readonly (keyof DeliveryStore)[];

type Method = (typeof DELIVERY_STORE_METHODS)[number];
type Request = { rpc: number; method: Method; args: unknown[] };
type Response = { rpc: number; value?: unknown; error?: { message: string; code?: string } };

/**
 * Answers a delivery thread's store calls with the main thread's store: the embedded PGlite engine
 * lives in one thread only. Values cross by structured clone (Dates, Maps and Sets survive).
 */
export function serveStore(port: MessagePort, store: DeliveryStore): void {
  port.on('message', (req: Request) => {
    if (!DELIVERY_STORE_METHODS.includes(req.method)) {
      port.postMessage({
        rpc: req.rpc,
        error: { message: `store method ${String(req.method)} is not served` },
      } satisfies Response);
      return;
    }
    const call = (store[req.method] as (...args: unknown[]) => Promise<unknown>).apply(store, req.args);
    call.then(
      (value) => port.postMessage({ rpc: req.rpc, value } satisfies Response),
      (err: unknown) => {
        const e = err as { message?: string; code?: string };
        port.postMessage({
          rpc: req.rpc,
          error: { message: String(e.message ?? err), ...(e.code ? { code: e.code } : {}) },
        } satisfies Response);
      },
    );
  });
}

/** A {@link DeliveryStore} whose calls run on the other side of `port` (see {@link serveStore}). */
export function storeClient(port: MessagePort): DeliveryStore {
  let next = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  port.on('message', (res: Response) => {
    const p = pending.get(res.rpc);
    if (!p) return;
    pending.delete(res.rpc);
    if (res.error)
      p.reject(Object.assign(new Error(res.error.message), res.error.code ? { code: res.error.code } : {}));
    else p.resolve(res.value);
  });
  const call =
    (method: Method) =>
    (...args: unknown[]) =>
      new Promise<unknown>((resolve, reject) => {
        const rpc = next++;
        pending.set(rpc, { resolve, reject });
        port.postMessage({ rpc, method, args } satisfies Request);
      });
  return Object.fromEntries(DELIVERY_STORE_METHODS.map((m) => [m, call(m)])) as unknown as DeliveryStore;
}
