import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeliveryStore } from './delivery.js';
import { serveStore, storeClient } from './store-rpc.js';

describe('store over a MessagePort', () => {
  const channels: MessageChannel[] = [];
  afterEach(() => {
    for (const c of channels.splice(0)) {
      c.port1.close();
      c.port2.close();
    }
  });
  const connect = (store: Partial<DeliveryStore>) => {
    const channel = new MessageChannel();
    channels.push(channel);
    serveStore(channel.port1, store as DeliveryStore);
    return storeClient(channel.port2);
  };

  it('answers calls with their values, Dates and nested objects intact, concurrently and in any order', async () => {
    const created = new Date('2026-11-24T10:00:00Z');
    const client = connect({
      getPool: async (id: string) =>
        id === 'p1'
          ? ({ id, name: 'main', ips: [{ ip: '127.0.0.2', weight: 1 }], createdAt: created } as never)
          : undefined,
      getSetting: async (key: string) => {
        await new Promise((r) => setTimeout(r, key === 'slow' ? 20 : 0));
        return { key };
      },
    });
    const [slow, fast, pool, none] = await Promise.all([
      client.getSetting('slow'),
      client.getSetting('fast'),
      client.getPool('p1'),
      client.getPool('p2'),
    ]);
    expect(slow).toEqual({ key: 'slow' });
    expect(fast).toEqual({ key: 'fast' });
    expect(pool?.createdAt).toBeInstanceOf(Date);
    expect(pool?.createdAt.toISOString()).toBe(created.toISOString());
    expect(pool?.ips).toEqual([{ ip: '127.0.0.2', weight: 1 }]);
    expect(none).toBeUndefined();
  });

  it('carries errors (message and code) back to the caller', async () => {
    const client = connect({
      suppressionKeys: async () => {
        throw Object.assign(new Error('database down'), { code: 'ECONNREFUSED' });
      },
    });
    await expect(client.suppressionKeys()).rejects.toMatchObject({ message: 'database down', code: 'ECONNREFUSED' });
  });

  it('serves only the delivery methods', async () => {
    const channel = new MessageChannel();
    channels.push(channel);
    serveStore(channel.port1, { deleteBridge: async () => 'deleted' } as unknown as DeliveryStore);
    const answer = new Promise((resolve) => channel.port2.once('message', resolve));
    channel.port2.postMessage({ rpc: 1, method: 'deleteBridge', args: ['br_1'] });
    expect(await answer).toEqual({ rpc: 1, error: { message: 'store method deleteBridge is not served' } });
  });
});
