import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';
import { eventShardOf, eventStreamKeys, keyFamily, keyLayoutOf, queuePrefix } from './redis-keys.js';
import { configuredRedisTarget } from './redis-target.js';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected loadConfig to throw');
}

describe('Redis topology configuration', () => {
  it('reads a cluster: nodes, IPv6 in brackets, keys laid out for it', () => {
    const config = loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000, [::1]:7001', BRIDGEMAIL_EVENT_SHARDS: '3' });
    expect(configuredRedisTarget(config.redis)).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '127.0.0.1', port: 7000 },
        { host: '::1', port: 7001 },
      ],
    });
    expect(config.redis.eventShards).toBe(3);
    expect(keyLayoutOf(config.redis)).toEqual({ prefix: 'bm', cluster: true });
  });

  it('reads a Sentinel set with its primary name', () => {
    const config = loadConfig({ REDIS_SENTINELS: '127.0.0.1:26379,127.0.0.1:26380', REDIS_SENTINEL_NAME: 'mymaster' });
    expect(configuredRedisTarget(config.redis)).toEqual({
      kind: 'sentinel',
      name: 'mymaster',
      sentinels: [
        { host: '127.0.0.1', port: 26379 },
        { host: '127.0.0.1', port: 26380 },
      ],
    });
    expect(keyLayoutOf(config.redis).cluster).toBe(false);
  });

  it('spawns redis-server when nothing is configured, and uses REDIS_URL as one server', () => {
    expect(configuredRedisTarget(loadConfig({}).redis)).toBeUndefined();
    expect(configuredRedisTarget(loadConfig({ REDIS_URL: 'redis://127.0.0.1:1' }).redis)).toEqual({
      kind: 'single',
      url: 'redis://127.0.0.1:1',
    });
  });

  it('refuses two Redis choices at once, a Sentinel set without a name, and malformed nodes', () => {
    expect(problems({ REDIS_URL: 'redis://127.0.0.1:1', REDIS_CLUSTER_NODES: '127.0.0.1:7000' })).toEqual([
      'REDIS_URL, REDIS_CLUSTER_NODES: set one of them, not 2',
    ]);
    expect(
      problems({ REDIS_CLUSTER_NODES: '127.0.0.1:7000', REDIS_SENTINELS: '127.0.0.1:1', REDIS_SENTINEL_NAME: 'm' }),
    ).toEqual(['REDIS_CLUSTER_NODES, REDIS_SENTINELS: set one of them, not 2']);
    expect(problems({ REDIS_SENTINELS: '127.0.0.1:26379' })).toEqual([
      'REDIS_SENTINEL_NAME: required with REDIS_SENTINELS',
    ]);
    expect(problems({ REDIS_SENTINEL_NAME: 'm' })).toEqual([
      'REDIS_SENTINEL_NAME: only meaningful with REDIS_SENTINELS',
    ]);
    expect(problems({ REDIS_CLUSTER_NODES: '127.0.0.1' })[0]).toMatch(
      /^REDIS_CLUSTER_NODES: "127.0.0.1" is not host:port/,
    );
    expect(problems({ REDIS_CLUSTER_NODES: 'h:0' })[0]).toMatch(/^REDIS_CLUSTER_NODES: "h:0" is not host:port/);
    expect(problems({ BRIDGEMAIL_EVENT_SHARDS: '0' })[0]).toMatch(/^BRIDGEMAIL_EVENT_SHARDS:/);
  });

  it('waits for no replica unless asked, and refuses a replica wait on the spawned redis-server', () => {
    expect(loadConfig({}).redis).toMatchObject({ waitReplicas: 0, waitMs: 500 });
    const sentinel = { REDIS_SENTINELS: '127.0.0.1:26379', REDIS_SENTINEL_NAME: 'm' };
    expect(
      loadConfig({ ...sentinel, BRIDGEMAIL_REDIS_WAIT_REPLICAS: '1', BRIDGEMAIL_REDIS_WAIT_MS: '250' }).redis,
    ).toMatchObject({ waitReplicas: 1, waitMs: 250 });
    expect(
      loadConfig({ REDIS_URL: 'redis://127.0.0.1:1', BRIDGEMAIL_REDIS_WAIT_REPLICAS: '2' }).redis.waitReplicas,
    ).toBe(2);
    expect(problems({ BRIDGEMAIL_REDIS_WAIT_REPLICAS: '1' })).toEqual([
      'BRIDGEMAIL_REDIS_WAIT_REPLICAS: the redis-server the platform spawns has no replicas; set REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES',
    ]);
    expect(problems({ ...sentinel, BRIDGEMAIL_REDIS_WAIT_REPLICAS: '-1' })[0]).toMatch(
      /^BRIDGEMAIL_REDIS_WAIT_REPLICAS:/,
    );
    expect(problems({ ...sentinel, BRIDGEMAIL_REDIS_WAIT_MS: '0' })[0]).toMatch(/^BRIDGEMAIL_REDIS_WAIT_MS:/);
  });
});

describe('key layout', () => {
  const single = { prefix: 'bm', cluster: false };
  const cluster = { prefix: 'bm', cluster: true };

  it('leaves single-server keys as they were and tags them on a cluster', () => {
    expect(queuePrefix(single, 'pool-p1')).toBe('bm');
    expect(queuePrefix(cluster, 'pool-p1')).toBe('bm:{pool-p1}');
    expect(keyFamily(single, 'authfail')).toBe('bm:authfail');
    expect(keyFamily(cluster, 'authfail')).toBe('bm:{authfail}');
    expect(eventStreamKeys('bm', 1)).toEqual(['bm:events']);
    expect(eventStreamKeys('bm', 3)).toEqual(['bm:events', 'bm:events:1', 'bm:events:2']);
  });

  it('puts every event of a message on one shard and spreads messages over all of them', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) {
      const id = `msg_${i.toString(36)}abc`;
      const shard = eventShardOf(id, 4);
      expect(eventShardOf(id, 4)).toBe(shard);
      counts[shard] = (counts[shard] ?? 0) + 1;
    }
    for (const n of counts) expect(n).toBeGreaterThan(800);
    expect(eventShardOf('anything', 1)).toBe(0);
  });
});
