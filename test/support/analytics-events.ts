import type { BridgeStats, StatsScope } from '../../analytics/index.js';
import type { EventOf, EventType } from '../../core/index.js';

// Events for the analytics query tests: a deterministic mix of every kind, and the stats counted
// over them in TypeScript with the same dedup keys as the ClickHouse queries.

/** An event of any kind, every field readable (the generator and the brute-force counts read them all). */
export type MailEvent = EventOf<EventType>;

export const BASE = Date.UTC(2024, 2, 10, 10, 0, 0);
export const HOUR = 3_600_000;

/** Small deterministic PRNG (mulberry32), so a failure reproduces. */
function rng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A mix of every event type over three hours, three Bridges, two Pools, three IPs. */
export function generateEvents(): MailEvent[] {
  const rand = rng(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const events: MailEvent[] = [];
  let n = 0;
  const add = (e: Omit<MailEvent, 'id'>) => events.push({ ...e, id: `ev_${++n}` });
  for (let m = 0; m < 400; m++) {
    const bridgeId = pick(['br_a', 'br_b', 'br_c']);
    const poolId = bridgeId === 'br_c' ? 'pool_2' : 'pool_1';
    const ip = poolId === 'pool_2' ? '127.0.0.4' : pick(['127.0.0.2', '127.0.0.3']);
    const messageId = `msg_${m}`;
    let ts = BASE + Math.floor(rand() * 3 * HOUR);
    const base = { messageId, bridgeId, poolId };
    for (const recipient of Array.from(
      { length: 1 + Math.floor(rand() * 2) },
      (_, r) => `u${m}.${r}@${pick(['gmail.test', 'outlook.test', 'corp.test'])}`,
    )) {
      add({ ...base, type: 'queued', ts, recipient });
      ts += 1000;
      add({ ...base, type: 'sent', ts, recipient, ip, attempt: 1 });
      let attempt = 1;
      while (rand() < 0.2 && attempt < 4) {
        ts += 60_000;
        add({
          ...base,
          type: 'deferred',
          ts,
          recipient,
          ip,
          attempt,
          mx: 'mx.test',
          replyCode: 451,
          reply: '451 4.7.1 try later',
          reason: 'greylisted',
        });
        attempt++;
      }
      ts += 500;
      const outcome = rand();
      if (outcome < 0.15) {
        const hard = rand() < 0.5;
        add({
          ...base,
          type: 'bounced',
          ts,
          recipient,
          ip,
          attempt,
          hard,
          replyCode: 550,
          status: hard ? '5.1.1' : '5.7.1',
          reason: hard ? 'user-unknown' : 'policy',
        });
        continue;
      }
      add({
        ...base,
        type: 'delivered',
        ts,
        recipient,
        ip,
        attempt,
        mx: 'mx.test',
        replyCode: 250,
        reply: '250 2.0.0 ok',
      });
      for (let o = Math.floor(rand() * 4); o > 0; o--) {
        ts += Math.floor(rand() * 600_000);
        add({
          ...base,
          type: 'opened',
          ts,
          recipient,
          machine: rand() < 0.3,
          userAgent: 'ua',
          clientIp: '203.0.113.9',
        });
      }
      for (let c = Math.floor(rand() * 3); c > 0; c--) {
        ts += Math.floor(rand() * 600_000);
        add({ ...base, type: 'clicked', ts, recipient, machine: rand() < 0.25, url: 'https://shop.test/x' });
      }
      const complainP = bridgeId === 'br_b' ? 0.25 : bridgeId === 'br_a' ? 0.05 : 0.01;
      if (rand() < complainP) add({ ...base, type: 'complained', ts: ts + 5000, recipient, feedbackType: 'abuse' });
      if (rand() < 0.04) add({ ...base, type: 'unsubscribed', ts: ts + 7000, recipient, reason: 'one-click' });
    }
  }
  return events;
}

/** The stats, counted in TypeScript over the raw events with the same dedup keys. */
export function bruteForce(
  events: MailEvent[],
  match: (e: MailEvent) => boolean,
  from = -Infinity,
  to = Infinity,
): BridgeStats {
  const unique = [...new Map(events.map((e) => [e.id, e])).values()].filter(
    (e) => match(e) && e.ts >= from && e.ts < to,
  );
  const distinct = (pred: (e: MailEvent) => boolean, key: (e: MailEvent) => string) =>
    new Set(unique.filter(pred).map(key)).size;
  const rcpt = (e: MailEvent) => `${e.messageId}|${e.recipient}`;
  const id = (e: MailEvent) => e.id;
  const is =
    (type: MailEvent['type'], extra: (e: MailEvent) => boolean = () => true) =>
    (e: MailEvent) =>
      e.type === type && extra(e);
  return {
    sent: distinct(is('sent'), rcpt),
    delivered: distinct(is('delivered'), rcpt),
    deferred: distinct(is('deferred'), (e) => `${rcpt(e)}|${e.attempt}`),
    bounced: distinct(is('bounced'), rcpt),
    hardBounces: distinct(
      is('bounced', (e) => !!e.hard),
      rcpt,
    ),
    softBounces: distinct(
      is('bounced', (e) => !e.hard),
      rcpt,
    ),
    complaints: distinct(is('complained'), rcpt),
    unsubscribes: distinct(is('unsubscribed'), rcpt),
    opens: distinct(
      is('opened', (e) => !e.machine),
      id,
    ),
    uniqueOpens: distinct(
      is('opened', (e) => !e.machine),
      rcpt,
    ),
    machineOpens: distinct(
      is('opened', (e) => !!e.machine),
      id,
    ),
    clicks: distinct(
      is('clicked', (e) => !e.machine),
      id,
    ),
    uniqueClicks: distinct(
      is('clicked', (e) => !e.machine),
      rcpt,
    ),
    machineClicks: distinct(
      is('clicked', (e) => !!e.machine),
      id,
    ),
  };
}

export const matchScope = (scope: StatsScope) => (e: MailEvent) =>
  'bridgeId' in scope
    ? e.bridgeId === scope.bridgeId
    : 'poolId' in scope
      ? e.poolId === scope.poolId
      : 'bridgeIds' in scope
        ? scope.bridgeIds.includes(e.bridgeId)
        : e.ip === scope.ip;
