import calculateSlot from 'cluster-key-slot';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { poolQueueTag, type PoolQueueRef } from './pool-queue-layout.js';
import { poolQueueName } from './queues.js';

// Where a new Pool's queue goes on a Redis Cluster. A queue's keys sit in the slot of its hash tag
// (CRC16 of the tag), and so on the primary serving that slot: with the tag `pool-<id>` that is
// chance, and 6 Pools on 3 primaries put 4 queues on one about 30% of the time. A new Pool instead
// gets the tag `pool-<id>-<n>` with the smallest n whose slot a primary holding the fewest queues
// serves. The loads are counted from the stored tags of the live Pools, read under a PostgreSQL
// advisory lock held until the new Pool is committed (core/store/pool-store.ts), so Pools created
// at the same moment, through any number of admin processes, each count the ones before.

/** A range of hash slots and the primary serving it (`host:port`), as CLUSTER SLOTS lists them. */
export interface SlotRange {
  start: number;
  end: number;
  primary: string;
}

/** Candidate tags tried at most; with a primary per third of the slots, the first few suffice. */
const MAX_CANDIDATES = 256;

/** CLUSTER SLOTS: `[start, end, [host, port, id?, …] (the primary), …replicas]` per range. */
const clusterSlotsReply = z.array(
  z.tuple([z.number(), z.number(), z.tuple([z.string(), z.number()]).rest(z.unknown())]).rest(z.unknown()),
);

/** The slot ranges of a CLUSTER SLOTS reply; throws if the reply has another shape. */
export function parseClusterSlots(reply: unknown): SlotRange[] {
  return clusterSlotsReply
    .parse(reply)
    .map(([start, end, [host, port]]) => ({ start, end, primary: `${host}:${port}` }));
}

/** The hash slot of the keys tagged `tag` (`…{tag}…`). */
export function slotOfTag(tag: string): number {
  return calculateSlot(`{${tag}}`);
}

/** The primary serving a slot, or undefined when no range covers it (a cluster being resharded). */
export function primaryOfSlot(ranges: readonly SlotRange[], slot: number): string | undefined {
  return ranges.find((r) => slot >= r.start && slot <= r.end)?.primary;
}

/** How many of the queues tagged `tags` each primary holds (every primary of `ranges` listed, 0 for none). */
export function queueLoads(ranges: readonly SlotRange[], tags: readonly string[]): Map<string, number> {
  const loads = new Map(ranges.map((r) => [r.primary, 0]));
  for (const tag of tags) {
    const primary = primaryOfSlot(ranges, slotOfTag(tag));
    if (primary !== undefined) loads.set(primary, (loads.get(primary) ?? 0) + 1);
  }
  return loads;
}

/**
 * The queue tag of a new Pool: `pool-<id>-<n>`, the smallest n whose slot is served by a primary
 * holding the fewest of the queues tagged `existing` (the best found among the first candidates if
 * none is). Deterministic: the same id, slot map and tags give the same tag. An empty slot map gives
 * `pool-<id>`.
 */
export function chooseQueueTag(poolId: string, ranges: readonly SlotRange[], existing: readonly string[]): string {
  const loads = queueLoads(ranges, existing);
  if (loads.size === 0) return poolQueueName(poolId);
  const least = Math.min(...loads.values());
  let best: { tag: string; load: number } | undefined;
  for (let n = 1; n <= MAX_CANDIDATES; n++) {
    const tag = `${poolQueueName(poolId)}-${n}`;
    const primary = primaryOfSlot(ranges, slotOfTag(tag));
    const load = primary === undefined ? Infinity : (loads.get(primary) ?? 0);
    if (load === least) return tag;
    if (!best || load < best.load) best = { tag, load };
  }
  return best && best.load !== Infinity ? best.tag : poolQueueName(poolId);
}

/**
 * Chooses the queue tag of a new Pool on a Redis Cluster from the cluster's slot map (CLUSTER SLOTS)
 * and the live Pools (which the store reads under its placement lock, so that Pools created at
 * once, through one admin process or several, each count the ones before).
 */
export async function choosePoolQueueTag(
  poolId: string,
  livePools: readonly PoolQueueRef[],
  redis: Pick<Redis, 'call'>,
): Promise<string> {
  return chooseQueueTag(poolId, parseClusterSlots(await redis.call('CLUSTER', 'SLOTS')), livePools.map(poolQueueTag));
}
