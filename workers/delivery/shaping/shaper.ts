import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  compilePatterns,
  defineLuaCommands,
  TickBatch,
  destinationLimits,
  isThrottleReply,
  type Logger,
  type ShapingPolicy,
} from '../../../core/index.js';
import { SHAPING_REASONS, type ShapingReason } from './shaping-reasons.js';
import { acquireKeys, SHAPING_COMMANDS, shapingKeys, type ShapingKeys } from './shaping-scripts.js';
import { SlotWaiters } from './slot-waiters.js';
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
  /**
   * How long {@link Shaper.acquire} waits in this process, when connection slots are full, for one to
   * be released before it answers a refusal (0: refuse at once). @defaultValue 1000
   */
  connectionWaitMs?: number;
  /** Clock in epoch ms for every decision (tests). @defaultValue the Redis server's clock (TIME), shared by all processes */
  now?: () => number;
  /**
   * Where refusals are reported: `info` when an (IP, rollup) pair starts being throttled (no refusal
   * for a minute before), `debug` for every other one. @defaultValue none
   */
  logger?: Logger;
  /** Shortest time between two of its batched Redis writes (acquires, releases), ms; 0 flushes every tick. @defaultValue 0 */
  flushIntervalMs?: number;
}

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
  readonly #waiting: TickBatch<{ ip: string; rollup: string }, AcquireResult>;
  readonly #throttles: ThrottleReport;
  readonly #slots = new SlotWaiters();
  /** Releases of this tick per (IP, rollup): one ZREM of many leases per connection set. */
  readonly #releases: TickBatch<{ ipLeases: string; destinationLeases: string; leaseId: string }>;
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
    defineLuaCommands(redis, SHAPING_COMMANDS);
    const batching = { flushIntervalMs: options.flushIntervalMs };
    this.#waiting = new TickBatch((calls) => this.#acquireMany(calls), batching);
    this.#releases = new TickBatch(async (leases) => {
      const first = leases[0];
      if (!first) return;
      const ids = leases.map((l) => l.leaseId);
      // Two plain ZREMs, pipelined: each lease is one member, so no MULTI/EXEC is needed (a
      // half-done release is finished by the lease's expiry, as after a crash).
      await Promise.all([this.redis.zrem(first.ipLeases, ...ids), this.redis.zrem(first.destinationLeases, ...ids)]);
    }, batching);
  }

  /** Replaces the policy (admin API change announced on the control channel); takes effect at once. */
  setPolicy(policy: ShapingPolicy): void {
    this.policy = policy;
    this.patterns = compilePatterns(policy);
  }

  /**
   * Takes a message token and a connection slot for sending from `ip` to `rollup`, or says how long
   * to wait. Calls for the same pair in one tick of the event loop share one script call. When only
   * connection slots are full, waits up to `connectionWaitMs` for one released in this process:
   * slots turn over in milliseconds, far sooner than a delayed job would come back.
   */
  async acquire(ip: string, rollup: string): Promise<AcquireResult> {
    const key = rollup.toLowerCase();
    const deadline = Date.now() + (this.options.connectionWaitMs ?? 1000);
    for (;;) {
      const releasesSeen = this.#slots.releasesOf(ip);
      const result = await this.#enqueue(ip, key);
      if (result.granted) return result;
      const left = deadline - Date.now();
      if (!result.reason.endsWith('-connections') || left <= 0) {
        this.#throttles.record(ip, key, result);
        return result;
      }
      await this.#slots.wait(ip, key, Math.min(left, result.retryInMs), releasesSeen);
    }
  }

  #enqueue(ip: string, rollup: string): Promise<AcquireResult> {
    return this.#waiting.add(`${ip}\n${rollup.toLowerCase()}`, { ip, rollup });
  }

  /**
   * One script call for the acquires of a tick, granted in order as far as the limits allow; the
   * ones left share the refusal of the first of them.
   */
  async #acquireMany(calls: { ip: string; rollup: string }[]): Promise<AcquireResult[]> {
    const { ip, rollup } = calls[0] ?? { ip: '', rollup: '' };
    const k = shapingKeys(this.prefix, ip, rollup);
    const leaseIds = calls.map(() => randomUUID());
    const reply = await this.redis.shapingAcquire(
      ...acquireKeys(k),
      ...this.#limitArgs(rollup),
      this.connectionRetryMs,
      ...leaseIds,
    );
    const [granted, reason, retryInMs] = Array.isArray(reply) ? (reply as unknown[]) : [];
    if (typeof granted !== 'number' || typeof retryInMs !== 'number')
      throw new Error('unexpected reply of the shaping script');
    const outcomes: AcquireResult[] = leaseIds.slice(0, granted).map((leaseId) => this.#grant(k, leaseId, ip, rollup));
    if (outcomes.length === calls.length) return outcomes;
    const known = SHAPING_REASONS.find((r) => r === reason);
    if (!known) throw new Error('unexpected reply of the shaping script');
    while (outcomes.length < calls.length) outcomes.push({ granted: false, reason: known, retryInMs });
    return outcomes;
  }

  /** ARGV[1..8] of `shapingAcquire`: clock, IP and destination limits, recovery, lease TTL. */
  #limitArgs(rollup: string): (string | number)[] {
    const dst = destinationLimits(this.policy, rollup.toLowerCase());
    const { ip, adaptive } = this.policy;
    // 0 stands for "no limit" in the scripts.
    return [
      this.clock(),
      ip.perSecond ?? 0,
      ip.perHour ?? 0,
      ip.connections,
      dst.perSecond ?? 0,
      dst.connections,
      adaptive.recoveryPerMinute,
      this.leaseTtlMs,
    ];
  }

  #grant(k: ShapingKeys, leaseId: string, ip: string, rollup: string): ShapingGrant {
    let released = false;
    return {
      granted: true,
      release: async () => {
        if (released) return;
        released = true;
        const { ipLeases, destinationLeases } = k;
        await this.#releases.add(`${ipLeases}\n${destinationLeases}`, { ipLeases, destinationLeases, leaseId });
        this.#slots.wake(ip, rollup);
      },
    };
  }

  /**
   * Feeds a remote reply to the adaptive backoff. A 4xx matching a policy pattern suspends sending
   * from `ip` to `rollup` for `adaptive.suspendMs` and halves its factor (down to `adaptive.floor`);
   * other rollups and other IPs are untouched. `suspended` is true when the pair is now suspended.
   */
  async recordReply(
    ip: string,
    rollup: string,
    replyCode: number | undefined,
    replyText: string,
  ): Promise<{ suspended: boolean }> {
    if (!isThrottleReply(this.patterns, replyCode, replyText)) return { suspended: false };
    const { adaptive } = this.policy;
    const { adaptive: key } = shapingKeys(this.prefix, ip, rollup);
    await this.redis.shapingSuspend(key, this.clock(), adaptive.recoveryPerMinute, adaptive.suspendMs, adaptive.floor);
    return { suspended: true };
  }

  /** The current adaptive factor and remaining suspension of an (IP, rollup) pair (admin API, tests). */
  async destinationState(ip: string, rollup: string): Promise<DestinationState> {
    const { adaptive } = shapingKeys(this.prefix, ip, rollup);
    const reply = await this.redis.shapingDestinationState(
      adaptive,
      this.clock(),
      this.policy.adaptive.recoveryPerMinute,
    );
    const [factor, suspendedForMs] = Array.isArray(reply) ? (reply as unknown[]) : [];
    if (typeof factor !== 'string' || typeof suspendedForMs !== 'number')
      throw new Error('unexpected reply of the shaping script');
    return { factor: Number(factor), suspendedForMs };
  }

  private clock(): string {
    return this.options.now ? String(Math.floor(this.options.now())) : '';
  }
}
