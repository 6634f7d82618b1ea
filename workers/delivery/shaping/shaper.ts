import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { compilePatterns, TickBatch, destinationLimits, isThrottleReply, type Logger, type ShapingPolicy } from '../../../core/index.js';
import { SHAPING_REASONS, type ShapingReason } from './shaping-reasons.js';
import { ThrottleReport } from './throttle-report.js';

export { SHAPING_REASONS, type ShapingReason } from './shaping-reasons.js';

/** A granted send: one message token and one connection slot per IP and per (IP, rollup). */
export interface ShapingGrant {
  granted: true;
  /** Frees both connection slots (idempotent). Call it when the SMTP connection is closed or returned. */
  release(): Promise<void>;
}

/** A refusal: nothing was taken; delay the job by `retryInMs` (no attempt spent). */
export interface ShapingRefusal {
  granted: false;
  retryInMs: number;
  reason: ShapingReason;
}

/** Outcome of {@link Shaper.acquire}. */
export type AcquireResult = ShapingGrant | ShapingRefusal;

/** Adaptive state of an (IP, rollup) pair. */
export interface DestinationState {
  /** Current share (floor … 1) of the configured destination rate and connections. */
  factor: number;
  /** 0 when not suspended. */
  suspendedForMs: number;
}

/** Options of {@link Shaper}. */
export interface ShaperOptions {
  /**
   * Lifetime of a connection lease: a slot held longer (a crashed process) is reclaimed. Keep it above
   * the longest SMTP transaction. @defaultValue 120000
   */
  leaseTtlMs?: number;
  /** Longest wait suggested when connection slots are full (a slot may be released any moment). @defaultValue 1000 */
  connectionRetryMs?: number;
  /** Clock in epoch ms for every decision (tests). @defaultValue the Redis server's clock (TIME), shared by all processes */
  now?: () => number;
  /**
   * Where refusals are reported: `info` when an (IP, rollup) pair starts being throttled (no refusal
   * for a minute before), `debug` for every other one. @defaultValue none
   */
  logger?: Logger;
}


// Shared Lua: the clock, and the adaptive factor computed lazily from the stored halved factor `f`
// and suspension end `u` (recovery starts when the suspension ends).
const COMMON_LUA = `
local now = tonumber(ARGV[1])
if not now then local t = redis.call('TIME'); now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) end
local function factorAt(key, recovery)
  local a = redis.call('HMGET', key, 'f', 'u')
  local f, u = tonumber(a[1]), tonumber(a[2]) or 0
  if not f then return 1, 0 end
  if now > u then f = math.min(1, f + recovery * (now - u) / 60000) end
  return f, u
end
`;

// KEYS: ip bucket, ip hour, ip leases, dst bucket, dst leases, dst adaptive.
// ARGV: now, ip/s, ip/h, ip conns, dst/s, dst conns, recovery/min, lease ttl, lease id, conn retry.
// A rate or hourly limit of 0 is no limit: its check passes and its key is neither read nor written.
const ACQUIRE_LUA = `${COMMON_LUA}
local HOUR = 3600000
local ttl, retry = tonumber(ARGV[8]), tonumber(ARGV[10])
local ipRate, ipHour, dstRate = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[5])
local function bucket(key, perSecond)
  if perSecond <= 0 then return 0, 0, 0 end
  local rate, cap = perSecond / 1000, math.max(1, perSecond)
  local b = redis.call('HMGET', key, 't', 'ts')
  local t, ts = tonumber(b[1]), tonumber(b[2])
  if not t then t = cap else t = math.min(cap, t + math.max(0, now - ts) * rate) end
  if t >= 1 then return t, 0, math.ceil(cap / rate) end
  return t, math.ceil((1 - t) / rate), 0
end
-- Sliding-window counter: the previous hour's count weighted by its share still inside the window.
local function hourly(key, limit)
  if limit <= 0 then return 0, 0, 0, 0 end
  local win = math.floor(now / HOUR)
  local h = redis.call('HMGET', key, 'w', 'c', 'p')
  local w, c, p = tonumber(h[1]), tonumber(h[2]) or 0, tonumber(h[3]) or 0
  if w ~= win then
    if w == win - 1 then p = c else p = 0 end
    c = 0
  end
  local e = now - win * HOUR
  if p * (HOUR - e) / HOUR + c + 1 <= limit then return win, c, p, 0 end
  local wait
  if c + 1 <= limit then wait = HOUR - e - (limit - c - 1) * HOUR / p
  else wait = HOUR - e + HOUR * (1 - (limit - 1) / c) end
  return win, c, p, math.max(1, math.ceil(wait))
end
local function leases(key, limit)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if redis.call('ZCARD', key) < limit then return 0 end
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return math.max(1, math.min(retry, math.ceil(tonumber(first[2]) - now)))
end
local f, u = factorAt(KEYS[6], tonumber(ARGV[7]))
local best, reason = 0, ''
local function check(r, wait) if wait > best then best, reason = wait, r end end
check('suspended', u - now)
local ipT, ipWait, ipFull = bucket(KEYS[1], ipRate)
check('ip-rate', ipWait)
local win, c, p, hourWait = hourly(KEYS[2], ipHour)
check('ip-hourly', hourWait)
check('ip-connections', leases(KEYS[3], tonumber(ARGV[4])))
local dT, dWait, dFull = bucket(KEYS[4], dstRate * f)
check('destination-rate', dWait)
check('destination-connections', leases(KEYS[5], math.max(1, math.floor(tonumber(ARGV[6]) * f))))
if reason ~= '' then return {0, reason, math.ceil(best)} end
if ipRate > 0 then
  redis.call('HSET', KEYS[1], 't', tostring(ipT - 1), 'ts', now)
  redis.call('PEXPIRE', KEYS[1], ipFull + 1000)
end
if ipHour > 0 then
  redis.call('HSET', KEYS[2], 'w', win, 'c', c + 1, 'p', p)
  redis.call('PEXPIRE', KEYS[2], 2 * HOUR)
end
if dstRate > 0 then
  redis.call('HSET', KEYS[4], 't', tostring(dT - 1), 'ts', now)
  redis.call('PEXPIRE', KEYS[4], dFull + 1000)
end
for _, key in ipairs({KEYS[3], KEYS[5]}) do
  redis.call('ZADD', key, now + ttl, ARGV[9])
  redis.call('PEXPIRE', key, ttl + 1000)
end
return {1}
`;

// Grants up to one token and lease each for several sends at once (acquires coalesced in one tick):
// the same checks as ACQUIRE, counted instead of tested for one, so it never grants more than that
// many single calls would. Returns {n}: the first n lease ids were granted, the others nothing.
// KEYS: as ACQUIRE. ARGV: now, ip/s, ip/h, ip conns, dst/s, dst conns, recovery/min, lease ttl, then the
// lease ids. A rate or hourly limit of 0 is no limit, as in ACQUIRE.
const ACQUIRE_MANY_LUA = `${COMMON_LUA}
local HOUR = 3600000
local FIXED = 8
local ttl = tonumber(ARGV[8])
local ipRate, ipHour, dstRate = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[5])
local function tokens(key, perSecond)
  if perSecond <= 0 then return math.huge, 0 end
  local rate, cap = perSecond / 1000, math.max(1, perSecond)
  local b = redis.call('HMGET', key, 't', 'ts')
  local t, ts = tonumber(b[1]), tonumber(b[2])
  if not t then t = cap else t = math.min(cap, t + math.max(0, now - ts) * rate) end
  return t, math.ceil(cap / rate)
end
local function free(key, limit)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  return limit - redis.call('ZCARD', key)
end
local f, u = factorAt(KEYS[6], tonumber(ARGV[7]))
if u > now then return {0} end
local n = #ARGV - FIXED
local ipT, ipFull = tokens(KEYS[1], ipRate)
n = math.min(n, math.floor(ipT))
local win, c, p = math.floor(now / HOUR), 0, 0
if ipHour > 0 then
  local h = redis.call('HMGET', KEYS[2], 'w', 'c', 'p')
  local w = tonumber(h[1])
  c, p = tonumber(h[2]) or 0, tonumber(h[3]) or 0
  if w ~= win then
    if w == win - 1 then p = c else p = 0 end
    c = 0
  end
  n = math.min(n, math.floor(ipHour - p * (HOUR - (now - win * HOUR)) / HOUR - c))
end
n = math.min(n, free(KEYS[3], tonumber(ARGV[4])))
local dT, dFull = tokens(KEYS[4], dstRate * f)
n = math.min(n, math.floor(dT))
n = math.min(n, free(KEYS[5], math.max(1, math.floor(tonumber(ARGV[6]) * f))))
if n < 1 then return {0} end
if ipRate > 0 then
  redis.call('HSET', KEYS[1], 't', tostring(ipT - n), 'ts', now)
  redis.call('PEXPIRE', KEYS[1], ipFull + 1000)
end
if ipHour > 0 then
  redis.call('HSET', KEYS[2], 'w', win, 'c', c + n, 'p', p)
  redis.call('PEXPIRE', KEYS[2], 2 * HOUR)
end
if dstRate > 0 then
  redis.call('HSET', KEYS[4], 't', tostring(dT - n), 'ts', now)
  redis.call('PEXPIRE', KEYS[4], dFull + 1000)
end
local members = {}
for i = 1, n do
  members[#members + 1] = now + ttl
  members[#members + 1] = ARGV[FIXED + i]
end
for _, key in ipairs({KEYS[3], KEYS[5]}) do
  redis.call('ZADD', key, unpack(members))
  redis.call('PEXPIRE', key, ttl + 1000)
end
return {n}
`;

// KEYS: dst adaptive. ARGV: now, recovery/min, suspend ms, floor. Deferrals arriving while the pair
// is already suspended come from connections opened before: one burst halves the factor once.
const DEFER_LUA = `${COMMON_LUA}
local recovery = tonumber(ARGV[2])
local f, u = factorAt(KEYS[1], recovery)
if u > now then return 0 end
f = math.max(tonumber(ARGV[4]), f / 2)
u = now + tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'f', tostring(f), 'u', u)
redis.call('PEXPIRE', KEYS[1], u - now + math.ceil((1 - f) / recovery * 60000) + 1000)
return 1
`;

// KEYS: dst adaptive. ARGV: now, recovery/min.
const STATE_LUA = `${COMMON_LUA}
local f, u = factorAt(KEYS[1], tonumber(ARGV[2]))
return {tostring(f), math.max(0, u - now)}
`;

interface Script {
  lua: string;
  sha: string;
}
/** KEYS of both acquire scripts, in their order. */
const acquireKeys = (k: Record<'ipRate' | 'ipHour' | 'ipConns' | 'dstRate' | 'dstConns' | 'dstAdaptive', string>) => [
  k.ipRate,
  k.ipHour,
  k.ipConns,
  k.dstRate,
  k.dstConns,
  k.dstAdaptive,
];
const script = (lua: string): Script => ({ lua, sha: createHash('sha1').update(lua).digest('hex') });
const ACQUIRE = script(ACQUIRE_LUA);
const ACQUIRE_MANY = script(ACQUIRE_MANY_LUA);
const DEFER = script(DEFER_LUA);
const STATE = script(STATE_LUA);

/**
 * Delivery shaping shared by every worker process through Redis: token buckets per IP and per
 * (IP, rollup), an hourly cap per IP, connection semaphores of expiring leases, and adaptive
 * backoff per (IP, rollup) when a provider answers "too fast". Each decision is one Lua script, so
 * checks and takes are atomic and all-or-nothing. Keys carry the IP as a hash tag (cluster-safe).
 */
export class Shaper {
  private patterns: RegExp[];
  private readonly leaseTtlMs: number;
  /** Acquires waiting for the end of this tick, per (IP, rollup): they go to Redis together. */
  readonly #waiting = new TickBatch<{ ip: string; rollup: string }, AcquireResult>((calls) => this.#acquireMany(calls));
  readonly #throttles: ThrottleReport;
  /** Releases of this tick per (IP, rollup): one ZREM of many leases per connection set. */
  readonly #releases = new TickBatch<{ ipConns: string; dstConns: string; leaseId: string }>(async (leases) => {
    const first = leases[0];
    if (!first) return;
    const ids = leases.map((l) => l.leaseId);
    // Two plain ZREMs, pipelined: each lease is one member, so no MULTI/EXEC is needed (a
    // half-done release is finished by the lease's expiry, as after a crash).
    await Promise.all([this.redis.zrem(first.ipConns, ...ids), this.redis.zrem(first.dstConns, ...ids)]);
  });
  private readonly connectionRetryMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private policy: ShapingPolicy,
    private readonly options: ShaperOptions = {},
  ) {
    this.patterns = compilePatterns(policy);
    this.leaseTtlMs = options.leaseTtlMs ?? 120_000;
    this.connectionRetryMs = options.connectionRetryMs ?? 1000;
    this.#throttles = new ThrottleReport(redis, prefix, options.logger);
  }

  /** Replaces the policy (admin API change announced on the control channel); takes effect at once. */
  setPolicy(policy: ShapingPolicy): void {
    this.policy = policy;
    this.patterns = compilePatterns(policy);
  }

  /**
   * Takes a message token and a connection slot for sending from `ip` to `rollup`, or says how long
   * to wait. Calls for the same pair in one tick of the event loop share one script call.
   */
  async acquire(ip: string, rollup: string): Promise<AcquireResult> {
    const result = await this.#enqueue(ip, rollup);
    if (!result.granted) this.#throttles.record(ip, rollup.toLowerCase(), result);
    return result;
  }

  #enqueue(ip: string, rollup: string): Promise<AcquireResult> {
    return this.#waiting.add(`${ip}\n${rollup.toLowerCase()}`, { ip, rollup });
  }

  async #acquireMany(calls: { ip: string; rollup: string }[]): Promise<(AcquireResult | Promise<AcquireResult>)[]> {
    const { ip, rollup } = calls[0] ?? { ip: '', rollup: '' };
    if (calls.length === 1) return [await this.#acquireOne(ip, rollup)];
    const k = this.keys(ip, rollup);
    const leaseIds = calls.map(() => randomUUID());
    const reply = await this.run(ACQUIRE_MANY, acquireKeys(k), [...this.#limitArgs(rollup), ...leaseIds]);
    const granted: unknown = Array.isArray(reply) ? reply[0] : undefined;
    if (typeof granted !== 'number') throw new Error('unexpected reply of the shaping script');
    const outcomes: (AcquireResult | Promise<AcquireResult>)[] = leaseIds.slice(0, granted).map((leaseId) => this.#grant(k, leaseId));
    if (granted >= calls.length) return outcomes;
    // The first refused one asks alone, which says why and for how long; the others share that
    // answer, or try again next tick if a slot came free in between.
    const first = this.#acquireOne(ip, rollup);
    outcomes.push(first);
    for (let i = granted + 1; i < calls.length; i++) outcomes.push(first.then((f) => (f.granted ? this.#enqueue(ip, rollup) : f)));
    return outcomes;
  }

  async #acquireOne(ip: string, rollup: string): Promise<AcquireResult> {
    const k = this.keys(ip, rollup);
    const leaseId = randomUUID();
    const reply = await this.run(ACQUIRE, acquireKeys(k), [...this.#limitArgs(rollup), leaseId, this.connectionRetryMs]);
    if (!Array.isArray(reply)) throw new Error('unexpected reply of the shaping script');
    const [granted, reason, retryInMs]: unknown[] = reply;
    if (granted === 1) return this.#grant(k, leaseId);
    const known = SHAPING_REASONS.find((r) => r === reason);
    if (!known || typeof retryInMs !== 'number') throw new Error('unexpected reply of the shaping script');
    return { granted: false, reason: known, retryInMs };
  }

  /** ARGV[1..8] of both acquire scripts: clock, IP and destination limits, recovery, lease TTL. */
  #limitArgs(rollup: string): (string | number)[] {
    const dst = destinationLimits(this.policy, rollup.toLowerCase());
    const { ip, adaptive } = this.policy;
    // 0 stands for "no limit" in the scripts.
    return [this.clock(), ip.perSecond ?? 0, ip.perHour ?? 0, ip.connections, dst.perSecond ?? 0, dst.connections, adaptive.recoveryPerMinute, this.leaseTtlMs];
  }

  #grant(k: { ipConns: string; dstConns: string }, leaseId: string): ShapingGrant {
    let released = false;
    return {
      granted: true,
      release: async () => {
        if (released) return;
        released = true;
        await this.#releases.add(`${k.ipConns}\n${k.dstConns}`, { ipConns: k.ipConns, dstConns: k.dstConns, leaseId });
      },
    };
  }

  /**
   * Feeds a remote reply to the adaptive backoff. A 4xx matching a policy pattern suspends sending
   * from `ip` to `rollup` for `adaptive.suspendMs` and halves its factor (down to `adaptive.floor`);
   * other rollups and other IPs are untouched. `suspended` is true when the pair is now suspended.
   */
  async recordReply(ip: string, rollup: string, replyCode: number | undefined, replyText: string): Promise<{ suspended: boolean }> {
    if (!isThrottleReply(this.patterns, replyCode, replyText)) return { suspended: false };
    const { adaptive } = this.policy;
    await this.run(DEFER, [this.keys(ip, rollup).dstAdaptive], [this.clock(), adaptive.recoveryPerMinute, adaptive.suspendMs, adaptive.floor]);
    return { suspended: true };
  }

  /** The current adaptive factor and remaining suspension of an (IP, rollup) pair (admin API, tests). */
  async destinationState(ip: string, rollup: string): Promise<DestinationState> {
    const reply = await this.run(STATE, [this.keys(ip, rollup).dstAdaptive], [this.clock(), this.policy.adaptive.recoveryPerMinute]);
    const [factor, suspendedForMs]: unknown[] = Array.isArray(reply) ? reply : [];
    if (typeof factor !== 'string' || typeof suspendedForMs !== 'number') throw new Error('unexpected reply of the shaping script');
    return { factor: Number(factor), suspendedForMs };
  }

  private clock(): string {
    return this.options.now ? String(Math.floor(this.options.now())) : '';
  }

  private keys(ip: string, rollup: string) {
    const base = `${this.prefix}:shaping:{${ip}}`;
    const dst = `${base}:dst:${rollup.toLowerCase()}`;
    return {
      ipRate: `${base}:rate`,
      ipHour: `${base}:hour`,
      ipConns: `${base}:conns`,
      dstRate: `${dst}:rate`,
      dstConns: `${dst}:conns`,
      dstAdaptive: `${dst}:adaptive`,
    };
  }

  private async run(s: Script, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await this.redis.evalsha(s.sha, keys.length, ...keys, ...args);
    } catch (err) {
      // Scripts are cached per server; after a restart or on a fresh server, send the body once.
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return this.redis.eval(s.lua, keys.length, ...keys, ...args);
    }
  }
}
