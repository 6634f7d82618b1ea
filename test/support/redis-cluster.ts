import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import type { RedisNode } from '../../core/index.js';

const run = promisify(execFile);
const SETPRIV = '/usr/bin/setpriv';

/** A redis-server (node or sentinel) this test support started on loopback. */
export interface RedisProcess {
  port: number;
  /** Whether it still runs (false once killed). */
  readonly running: boolean;
  /** SIGKILL: a crash, no shutdown save. */
  kill(): Promise<void>;
}

/** A Redis Cluster of real redis-servers on loopback. */
export interface TestCluster {
  nodes: RedisNode[];
  /** `host:port,…` for `REDIS_CLUSTER_NODES`. */
  nodesText: string;
  /** The processes by port. */
  processes: Map<number, RedisProcess>;
  /** Ports of the nodes that are primaries now (asked of a running node). */
  primaries(): Promise<number[]>;
  /** Port of the primary serving `key`'s slot now. */
  primaryFor(key: string): Promise<number>;
  /** Waits until every running node sees the cluster as ok with every slot served. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Is `port` free on 127.0.0.1? */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A free port whose cluster bus port (port + 10000) is free too, both below the kernel's ephemeral
 * range (32768 and up on Linux), where every port-0 listener and outgoing connection of the tests
 * running alongside takes its port: a port probed free there can be taken before redis-server binds it.
 */
async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = 10_000 + Math.floor(Math.random() * 12_768);
    if (taken.has(port) || taken.has(port + 10_000)) continue;
    if ((await portFree(port)) && (await portFree(port + 10_000))) {
      taken.add(port);
      taken.add(port + 10_000);
      return port;
    }
  }
}

/** Starts redis-server with `args`, dying with this process; resolves once it answers PING. */
async function startRedisProcess(port: number, args: string[], dir: string): Promise<RedisProcess> {
  const spawnOptions = { stdio: 'ignore', detached: true } as const;
  const child: ChildProcess = existsSync(SETPRIV)
    ? spawn(SETPRIV, ['--pdeathsig', 'SIGKILL', '--', 'redis-server', ...args], spawnOptions)
    : spawn('redis-server', args, spawnOptions);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let running = true;
  void exited.then(() => (running = false));
  const deadline = Date.now() + 15_000;
  for (;;) {
    const client = new Redis(port, '127.0.0.1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      if ((await client.ping()) === 'PONG') break;
    } catch {
      if (!running || Date.now() > deadline) throw new Error(`redis-server on ${port} did not start; see ${dir}`);
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      client.disconnect();
    }
  }
  return {
    port,
    get running() {
      return running;
    },
    kill: async () => {
      if (!running) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** The args of a data node on `port` in `dir`: no persistence (tests), loopback only. */
function nodeArgs(port: number, dir: string): string[] {
  return ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];
}

/**
 * Starts a Redis Cluster of `primaries` primaries with one replica each (Debian's redis-server in
 * cluster mode on free loopback ports, joined by `redis-cli --cluster create`), and waits until it
 * serves every slot. A primary that dies is replaced by its replica after about a second.
 */
export async function startTestCluster(primaries = 3): Promise<TestCluster> {
  const root = await mkdtemp(join(tmpdir(), 'bridgemail-cluster-'));
  const taken = new Set<number>();
  const processes = new Map<number, RedisProcess>();
  const stop = async () => {
    await Promise.all([...processes.values()].map((p) => p.kill()));
    await rm(root, { recursive: true, force: true });
  };
  try {
    const ports: number[] = [];
    for (let i = 0; i < primaries * 2; i++) ports.push(await freeClusterPort(taken));
    await Promise.all(
      ports.map(async (port) => {
        const dir = join(root, String(port));
        await mkdir(dir);
        const args = [
          ...nodeArgs(port, dir),
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, 'nodes.conf'),
          '--cluster-node-timeout',
          '1000',
          // A replica takes over however long it was cut off (the test kills primaries on purpose).
          '--cluster-replica-validity-factor',
          '0',
        ];
        processes.set(port, await startRedisProcess(port, args, dir));
      }),
    );
    const addresses = ports.map((p) => `127.0.0.1:${p}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '1', '--cluster-yes']);
    const nodes = ports.map((port) => ({ host: '127.0.0.1', port }));
    const cluster: TestCluster = {
      nodes,
      nodesText: addresses.join(','),
      processes,
      primaries: async () => {
        const alive = ports.find((p) => processes.get(p)?.running);
        const client = new Redis(alive ?? 0, '127.0.0.1', { maxRetriesPerRequest: 1 });
        try {
          const text = (await client.call('CLUSTER', 'NODES')) as string;
          return text
            .split('\n')
            .filter((l) => /\bmaster\b/.test(l) && !/\bfail\b/.test(l) && / connected /.test(` ${l} `))
            .map((l) => Number(/:(\d+)@/.exec(l)?.[1]))
            .filter((p) => processes.get(p)?.running)
            .sort((a, b) => a - b);
        } finally {
          client.disconnect();
        }
      },
      primaryFor: async (key) => {
        const alive = ports.find((p) => processes.get(p)?.running);
        const client = new Redis(alive ?? 0, '127.0.0.1', { maxRetriesPerRequest: 1 });
        try {
          const slot = Number(await client.call('CLUSTER', 'KEYSLOT', key));
          const ranges = (await client.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
          const range = ranges.find(([from, to]) => slot >= from && slot <= to);
          if (!range) throw new Error(`no node serves slot ${slot}`);
          return range[2][1];
        } finally {
          client.disconnect();
        }
      },
      waitHealthy: (timeoutMs = 30_000) => waitHealthy(ports, processes, timeoutMs),
      stop,
    };
    await cluster.waitHealthy();
    return cluster;
  } catch (err) {
    await stop();
    throw err;
  }
}

async function waitHealthy(ports: number[], processes: Map<number, RedisProcess>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await Promise.all(
      ports
        .filter((p) => processes.get(p)?.running)
        .map(async (port) => {
          const client = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 0, retryStrategy: () => null });
          client.on('error', () => undefined);
          try {
            const info = (await client.call('CLUSTER', 'INFO')) as string;
            return /cluster_state:ok/.test(info) && /cluster_slots_ok:16384/.test(info);
          } catch {
            return false;
          } finally {
            client.disconnect();
          }
        }),
    );
    if (states.length > 0 && states.every(Boolean)) return;
    if (Date.now() > deadline) throw new Error('the test cluster did not become healthy');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A client of the test cluster for assertions (every command routed by slot). */
export function clusterClient(cluster: TestCluster): Cluster {
  const client = new Cluster(cluster.nodes, { redisOptions: { maxRetriesPerRequest: 5 } });
  client.on('error', () => undefined);
  return client;
}

/** The number of commands a node has served (`INFO commandstats`, summed over commands). */
export async function commandCount(port: number): Promise<number> {
  const client = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
  try {
    const info = await client.info('commandstats');
    let total = 0;
    for (const match of info.matchAll(/^cmdstat_[^:]+:calls=(\d+)/gm)) total += Number(match[1]);
    return total;
  } finally {
    client.disconnect();
  }
}

/** A Sentinel set of real servers on loopback: one primary, one replica, three sentinels. */
export interface TestSentinels {
  name: string;
  sentinels: RedisNode[];
  /** `host:port,…` for `REDIS_SENTINELS`. */
  sentinelsText: string;
  primary: RedisProcess;
  replica: RedisProcess;
  /** The port of the primary the sentinels name now. */
  currentPrimary(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Starts a primary, a replica of it and three sentinels watching them (quorum 2, a primary down
 * after 1 s), and waits until the sentinels know the replica.
 */
export async function startTestSentinels(name = 'bridgemail'): Promise<TestSentinels> {
  const root = await mkdtemp(join(tmpdir(), 'bridgemail-sentinel-'));
  const taken = new Set<number>();
  const processes: RedisProcess[] = [];
  const stop = async () => {
    await Promise.all(processes.map((p) => p.kill()));
    await rm(root, { recursive: true, force: true });
  };
  try {
    const start = async (port: number, args: string[]) => {
      const dir = join(root, String(port));
      await mkdir(dir, { recursive: true });
      const p = await startRedisProcess(port, [...nodeArgs(port, dir), ...args], dir);
      processes.push(p);
      return p;
    };
    const primary = await start(await freeClusterPort(taken), []);
    const replica = await start(await freeClusterPort(taken), ['--replicaof', '127.0.0.1', String(primary.port)]);
    const sentinels: RedisNode[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freeClusterPort(taken);
      const dir = join(root, String(port));
      await mkdir(dir, { recursive: true });
      const conf = join(dir, 'sentinel.conf');
      await writeFile(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${primary.port} 2`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 5000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      processes.push(await startRedisProcess(port, [conf, '--sentinel'], dir));
      sentinels.push({ host: '127.0.0.1', port });
    }
    const ask = async (command: string[]) => {
      const client = new Redis(sentinels[0]?.port ?? 0, '127.0.0.1', { maxRetriesPerRequest: 1 });
      try {
        return await client.call('SENTINEL', ...command);
      } finally {
        client.disconnect();
      }
    };
    const deadline = Date.now() + 30_000;
    while (((await ask(['replicas', name])) as unknown[]).length === 0) {
      if (Date.now() > deadline) throw new Error('the sentinels did not find the replica');
      await new Promise((r) => setTimeout(r, 200));
    }
    return {
      name,
      sentinels,
      sentinelsText: sentinels.map((s) => `${s.host}:${s.port}`).join(','),
      primary,
      replica,
      currentPrimary: async () => Number(((await ask(['get-master-addr-by-name', name])) as string[])[1]),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
