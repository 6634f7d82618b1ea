/**
 * Where the key names that depend on the Redis topology are decided. On one server they are what
 * they always were; on a Redis Cluster, hash tags (the part of a key in `{…}`, the only part hashed
 * to a slot) keep together the keys one command touches at once (a BullMQ queue's Lua scripts, a
 * limiter's Lua script or MULTI) and spread the rest: each Pool's queue, each event stream shard.
 * docs/operations.md has the whole layout.
 */

/** The key prefix and whether keys must be laid out for a Redis Cluster. */
export interface KeyLayout {
  readonly prefix: string;
  readonly cluster: boolean;
}

/** The layout of a configuration's Redis: cluster hash tags when it names a Redis Cluster. */
export function keyLayoutOf(redis: { readonly prefix: string; readonly clusterNodes?: readonly unknown[] }): KeyLayout {
  return { prefix: redis.prefix, cluster: redis.clusterNodes !== undefined };
}

/**
 * BullMQ's prefix for a queue: the configured prefix, or on a cluster `<prefix>:{<tag>}`, so the
 * queue's keys (`<prefix>:{webhooks}:webhooks:wait`, …) share one slot, a slot of their own per
 * queue. The tag is the queue's name; a Pool's queue has a tag of its own (`poolQueuePrefix`).
 */
export function queuePrefix(layout: KeyLayout, tag: string): string {
  return layout.cluster ? `${layout.prefix}:{${tag}}` : layout.prefix;
}

/**
 * The base of a family of keys used together by one Lua script or MULTI (`authfail`,
 * `bridge-limits`): `<prefix>:<family>`, or on a cluster `<prefix>:{<family>}`, one slot.
 */
export function keyFamily(layout: KeyLayout, family: string): string {
  return layout.cluster ? `${layout.prefix}:{${family}}` : `${layout.prefix}:${family}`;
}

/**
 * The event streams: `<prefix>:events` alone (the only one with one shard, as it always was), else
 * that one and `<prefix>:events:1` … `<prefix>:events:<shards-1>`, each a key of its own and so
 * hashed to a slot of its own on a cluster.
 */
export function eventStreamKeys(prefix: string, shards: number): string[] {
  return Array.from({ length: Math.max(1, shards) }, (_, i) => eventStreamShardKey(prefix, i));
}

/** The key of event stream shard `shard` (0 is the unsharded stream's key). */
export function eventStreamShardKey(prefix: string, shard: number): string {
  return shard === 0 ? `${prefix}:events` : `${prefix}:events:${shard}`;
}

/**
 * The shard of a message's events (FNV-1a of its id): every event of a message goes to one shard,
 * so their order in the stream is their order of publication.
 */
export function eventShardOf(messageId: string, shards: number): number {
  if (shards <= 1) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < messageId.length; i++) hash = Math.imul(hash ^ messageId.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % shards;
}

/** A scheduled message's record (a hash; one key, any slot). */
export function scheduleKey(prefix: string, messageId: string): string {
  return `${prefix}:scheduled:${messageId}`;
}

/** The batch job holding a message that came with an idempotency key (one key, any slot). */
export function batchedKey(prefix: string, messageId: string): string {
  return `${prefix}:batched:${messageId}`;
}

/** The messages of a batch job already finished (a set; one key, any slot). */
export function batchDoneKey(prefix: string, jobId: string): string {
  return `${prefix}:batch-done:${jobId}`;
}

/** Redis pub/sub channel on which control-plane changes are announced to every process. */
export function controlChannel(prefix: string): string {
  return `${prefix}:control`;
}
