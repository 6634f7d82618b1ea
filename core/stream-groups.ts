import type { Redis } from 'ioredis';
import { parseGroupsInfo, parsePendingSummary, type StreamGroupInfo } from './stream-replies.js';

/** The consumer groups of a stream (XINFO GROUPS); the stream must exist. */
export async function readStreamGroups(redis: Redis, key: string): Promise<StreamGroupInfo[]> {
  return parseGroupsInfo(await redis.xinfo('GROUPS', key));
}

/** Whether stream id `a` comes before `b` (ids are `<ms>-<seq>`, compared as numbers). */
function isOlder(a: string, b: string): boolean {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am < bm || (am === bm && as < bs);
}

/** The id right after `id`: the first entry a group that has read up to `id` has not read yet. */
function nextId(id: string): string {
  const [ms = 0, seq = 0] = id.split('-').map(Number);
  return `${ms}-${seq + 1}`;
}

/**
 * Trims the stream below the oldest entry some consumer group still needs (its oldest pending
 * entry, else the one after its last delivered), so that no group loses an entry it has not
 * acknowledged or not read yet.
 */
export async function trimAcknowledged(redis: Redis, key: string): Promise<void> {
  let floor: string | undefined;
  for (const group of await readStreamGroups(redis, key)) {
    const pending = parsePendingSummary(await redis.xpending(key, group.name));
    const needed = pending.oldestId ?? nextId(group.lastDeliveredId);
    if (floor === undefined || isOlder(needed, floor)) floor = needed;
  }
  if (floor) await redis.xtrim(key, 'MINID', floor);
}
