/** A Redis server (cluster node or sentinel) by host and port. */
export interface RedisNode {
  host: string;
  port: number;
}

/**
 * Where this process finds Redis: one server (`REDIS_URL` or the spawned redis-server), a Redis
 * Cluster (`REDIS_CLUSTER_NODES`) or a Sentinel-managed primary (`REDIS_SENTINELS` +
 * `REDIS_SENTINEL_NAME`). Plain data, so a delivery thread can be handed it.
 */
export type RedisTarget =
  | { kind: 'single'; url: string }
  | { kind: 'cluster'; nodes: RedisNode[] }
  | { kind: 'sentinel'; sentinels: RedisNode[]; name: string };

/** Parses `host:port,host:port,…` (an IPv6 host in brackets: `[::1]:7000`); throws on a malformed entry. */
export function parseRedisNodes(text: string): RedisNode[] {
  const nodes = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((entry) => {
      const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(entry);
      const port = Number(match?.[3]);
      if (!match || port < 1 || port > 65535) throw new Error(`"${entry}" is not host:port`);
      return { host: match[1] ?? match[2] ?? '', port };
    });
  if (nodes.length === 0) throw new Error('no host:port given');
  return nodes;
}

/** `host:port,…` of nodes, as operators write them (for logs). */
export function describeRedisTarget(target: RedisTarget): string {
  const list = (nodes: RedisNode[]) =>
    nodes.map((n) => (n.host.includes(':') ? `[${n.host}]:${n.port}` : `${n.host}:${n.port}`)).join(',');
  if (target.kind === 'cluster') return `cluster ${list(target.nodes)}`;
  if (target.kind === 'sentinel') return `sentinel ${target.name} via ${list(target.sentinels)}`;
  return 'single server';
}

/** The Redis the configuration names, or none: then the process spawns its own redis-server. */
export function configuredRedisTarget(redis: {
  readonly url: string | undefined;
  readonly clusterNodes: readonly RedisNode[] | undefined;
  readonly sentinels: readonly RedisNode[] | undefined;
  readonly sentinelName: string | undefined;
}): RedisTarget | undefined {
  if (redis.clusterNodes) return { kind: 'cluster', nodes: redis.clusterNodes.map((n) => ({ ...n })) };
  if (redis.sentinels && redis.sentinelName)
    return { kind: 'sentinel', sentinels: redis.sentinels.map((n) => ({ ...n })), name: redis.sentinelName };
  return redis.url ? { kind: 'single', url: redis.url } : undefined;
}
