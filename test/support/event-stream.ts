import type { Redis } from 'ioredis';
import { decodeEventEntry, type MailEvent } from '../../core/index.js';

/** Every event held in the stream `key`, in order (entries hold one or several). */
export async function streamEvents(redis: Redis, key: string): Promise<MailEvent[]> {
  const entries = (await redis.xrange(key, '-', '+')) as [string, string[]][];
  return entries.flatMap(([, fields]) => decodeEventEntry(fields).events);
}
