import type { Redis } from 'ioredis';
import { eventStreamKeys } from './redis-keys.js';

/** A reader of one event stream shard, as {@link readEveryShard} starts it. */
export interface ShardReader {
  close(): Promise<void>;
}

/**
 * Starts one reader per event stream shard, each on a blocking connection of its own (the given
 * one for the first shard, a duplicate for each other), so that a blocked read on one shard never
 * holds back another. With one shard this is one reader on `redis`, as before shards. Closing
 * closes every reader, then disconnects the duplicates. A failed start closes what had started.
 */
export async function readEveryShard<R extends ShardReader>(
  redis: Redis,
  prefix: string,
  shards: number,
  start: (stream: string, redis: Redis) => Promise<R>,
): Promise<{ readers: R[]; close: () => Promise<void> }> {
  const readers: R[] = [];
  const duplicates: Redis[] = [];
  const close = async () => {
    await Promise.all(readers.map((r) => r.close()));
    for (const d of duplicates) d.disconnect();
  };
  try {
    for (const [i, stream] of eventStreamKeys(prefix, shards).entries()) {
      let connection = redis;
      if (i > 0) duplicates.push((connection = redis.duplicate()));
      readers.push(await start(stream, connection));
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { readers, close };
}
