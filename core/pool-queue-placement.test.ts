import { describe, expect, it } from 'vitest';
import { poolQueuePrefix, poolQueueTag } from './pool-queue-layout.js';
import {
  chooseQueueTag,
  parseClusterSlots,
  primaryOfSlot,
  queueLoads,
  slotOfTag,
  type SlotRange,
} from './pool-queue-placement.js';

/** The usual split of a 3-primary cluster (redis-cli --cluster create). */
const THREE: SlotRange[] = [
  { start: 0, end: 5460, primary: '127.0.0.1:7000' },
  { start: 5461, end: 10922, primary: '127.0.0.1:7001' },
  { start: 10923, end: 16383, primary: '127.0.0.1:7002' },
];

const primaryOf = (tag: string, ranges = THREE) => primaryOfSlot(ranges, slotOfTag(tag));

/** Tags (not of the candidate form) putting `loads[primary]` queues on each primary. */
function tagsOn(loads: Record<string, number>, ranges = THREE): string[] {
  const tags: string[] = [];
  for (const [primary, count] of Object.entries(loads)) {
    for (let n = 0; tags.filter((t) => primaryOf(t, ranges) === primary).length < count; n++) {
      if (primaryOf(`other-${n}`, ranges) === primary) tags.push(`other-${n}`);
    }
  }
  return tags;
}

describe('queue tag placement', () => {
  it("hashes a tag as Redis does (CLUSTER KEYSLOT's documented examples)", () => {
    expect(slotOfTag('somekey')).toBe(11058);
    expect(slotOfTag('hash_tag')).toBe(2515);
  });

  it('reads CLUSTER SLOTS (Redis 7 node entries carry an id and metadata) and refuses another shape', () => {
    const reply = [
      [0, 5460, ['127.0.0.1', 7000, 'a1', []], ['127.0.0.1', 7003, 'b1', []]],
      [5461, 16383, ['127.0.0.1', 7001, 'a2', []]],
    ];
    expect(parseClusterSlots(reply)).toEqual([
      { start: 0, end: 5460, primary: '127.0.0.1:7000' },
      { start: 5461, end: 16383, primary: '127.0.0.1:7001' },
    ]);
    expect(() => parseClusterSlots([[0, 'x']])).toThrow();
    expect(() => parseClusterSlots('OK')).toThrow();
  });

  it('counts the queues each primary holds, listing idle primaries with 0', () => {
    const loads = queueLoads(THREE, tagsOn({ '127.0.0.1:7000': 2, '127.0.0.1:7002': 1 }));
    expect(Object.fromEntries(loads)).toEqual({ '127.0.0.1:7000': 2, '127.0.0.1:7001': 0, '127.0.0.1:7002': 1 });
  });

  it('picks the first pool-<id>-<n> on the least-loaded primary, the same every time', () => {
    const existing = tagsOn({ '127.0.0.1:7000': 2, '127.0.0.1:7001': 1, '127.0.0.1:7002': 2 });
    for (const id of ['pool_a', 'pool_b', 'pool_c', 'pool_d']) {
      const tag = chooseQueueTag(id, THREE, existing);
      expect(tag).toMatch(new RegExp(`^pool-${id}-\\d+$`));
      expect(primaryOf(tag)).toBe('127.0.0.1:7001');
      const n = Number(tag.slice(`pool-${id}-`.length));
      for (let k = 1; k < n; k++) expect(primaryOf(`pool-${id}-${k}`)).not.toBe('127.0.0.1:7001');
      expect(chooseQueueTag(id, THREE, existing)).toBe(tag);
    }
  });

  it('takes pool-<id>-1 when the primaries are even', () => {
    expect(chooseQueueTag('pool_x', THREE, [])).toBe('pool-pool_x-1');
    expect(
      chooseQueueTag('pool_x', THREE, tagsOn({ '127.0.0.1:7000': 1, '127.0.0.1:7001': 1, '127.0.0.1:7002': 1 })),
    ).toBe('pool-pool_x-1');
  });

  it('spreads Pools created one after another two to a primary', () => {
    const tags: string[] = [];
    for (let i = 0; i < 6; i++) tags.push(chooseQueueTag(`pool_${i}`, THREE, tags));
    expect(Object.fromEntries(queueLoads(THREE, tags))).toEqual({
      '127.0.0.1:7000': 2,
      '127.0.0.1:7001': 2,
      '127.0.0.1:7002': 2,
    });
  });

  it('settles for the least load it reaches when the idlest primary serves almost no slot', () => {
    const ranges: SlotRange[] = [
      { start: 0, end: 8191, primary: 'a:1' },
      { start: 8192, end: 16382, primary: 'b:1' },
      { start: 16383, end: 16383, primary: 'c:1' },
    ];
    // c:1 holds no queue but is reached by one slot in 16,384: the first candidate on b:1 (1 queue) will do.
    const tag = chooseQueueTag('pool_q', ranges, tagsOn({ 'a:1': 2, 'b:1': 1 }, ranges));
    expect(['b:1', 'c:1']).toContain(primaryOf(tag, ranges));
  });

  it('gives pool-<id> when the slot map is empty', () => {
    expect(chooseQueueTag('pool_e', [], ['pool-pool_f'])).toBe('pool-pool_e');
  });
});

describe('the queue prefix of a Pool', () => {
  const single = { prefix: 'bm', cluster: false };
  const cluster = { prefix: 'bm', cluster: true };

  it('is the prefix on one server whatever the tag, and the tag (or pool-<id>) on a cluster', () => {
    expect(poolQueuePrefix(single, { id: 'p1', queueTag: null })).toBe('bm');
    expect(poolQueuePrefix(single, { id: 'p1', queueTag: 'pool-p1-3' })).toBe('bm');
    expect(poolQueuePrefix(cluster, { id: 'p1', queueTag: null })).toBe('bm:{pool-p1}');
    expect(poolQueuePrefix(cluster, { id: 'p1', queueTag: 'pool-p1-3' })).toBe('bm:{pool-p1-3}');
    expect(poolQueueTag({ id: 'p1', queueTag: null })).toBe('pool-p1');
  });
});
