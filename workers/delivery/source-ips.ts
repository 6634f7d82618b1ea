import { probeSourceAddress, type Logger, type Pool, type SourceAddressProbe } from '../../core/index.js';

/** Reason of the `deferred` event of a message none of whose Pool IPs this worker can bind. */
export const SOURCE_IP_UNAVAILABLE = 'SOURCE_IP_UNAVAILABLE';

/** A Pool IP this worker cannot send from, with the Pools that have it and the bind's error code. */
export interface UnbindableIp {
  ip: string;
  poolIds: string[];
  code: string;
}

/** Settings of {@link SourceIps}. */
export interface SourceIpsOptions {
  logger: Logger;
  /** How an IP is checked. @defaultValue a local bind of (ip, port 0), see probeSourceAddress */
  probe?: (ip: string) => Promise<SourceAddressProbe>;
  /** Called with the full list whenever the set of unbindable IPs (or their Pools) changes. */
  onChange?: (unbindable: UnbindableIp[]) => void;
}

type PoolIps = Pick<Pool, 'id' | 'ips'>;

/**
 * Which Pool IPs this worker's host can bind, checked locally (no packet leaves) when a Pool is
 * first seen, on every announced Pool change and on each {@link SourceIps.refreshAll}; a send whose
 * bind fails marks its IP too. The IP picker skips what is unbindable, so a host without one of a
 * Pool's addresses sends from the others. An IP turning unbindable is logged at error once, not per
 * message; turning bindable again at info.
 */
export class SourceIps {
  readonly #pools = new Map<string, readonly string[]>();
  readonly #failed = new Map<string, string>();
  readonly #probed = new Set<string>();
  /** Probes under way, shared by the jobs that meet a new Pool at once. */
  readonly #inFlight = new Map<string, Promise<SourceAddressProbe>>();
  readonly #log: Logger;
  readonly #probe: (ip: string) => Promise<SourceAddressProbe>;
  readonly #onChange: ((unbindable: UnbindableIp[]) => void) | undefined;
  #lastReport = '[]';

  constructor(options: SourceIpsOptions) {
    this.#log = options.logger.child({ component: 'source-ips' });
    this.#probe = options.probe ?? probeSourceAddress;
    this.#onChange = options.onChange;
  }

  /** Whether `ip` can be used: not known to fail (an IP not probed yet counts as bindable). */
  bindable(ip: string): boolean {
    return !this.#failed.has(ip);
  }

  /**
   * Makes sure every IP of `pool` was probed (a Pool this worker meets before its announcement);
   * `undefined`, without waiting, when they all were.
   */
  ensure(pool: PoolIps): Promise<void> | undefined {
    const known = this.#pools.get(pool.id);
    if (
      known &&
      known.length === pool.ips.length &&
      pool.ips.every((i, n) => i.ip === known[n] && this.#probed.has(i.ip))
    )
      return undefined;
    return this.refreshPool(pool.id, pool, false);
  }

  /** Probes every IP of these Pools again and forgets the Pools not among them (start, timer, resubscription). */
  async refreshAll(pools: readonly PoolIps[]): Promise<void> {
    const live = new Set(pools.map((p) => p.id));
    for (const id of [...this.#pools.keys()]) if (!live.has(id)) this.#pools.delete(id);
    for (const p of pools)
      this.#pools.set(
        p.id,
        p.ips.map((i) => i.ip),
      );
    await this.#check(pools.flatMap((p) => p.ips.map((i) => i.ip)));
  }

  /**
   * Takes in a Pool's current IPs (`undefined`: the Pool is gone) and probes them: all of them
   * after an announced change, only those not probed yet otherwise.
   */
  async refreshPool(poolId: string, pool: PoolIps | undefined, again = true): Promise<void> {
    if (!pool) this.#pools.delete(poolId);
    else
      this.#pools.set(
        poolId,
        pool.ips.map((i) => i.ip),
      );
    const ips = pool?.ips.map((i) => i.ip) ?? [];
    await this.#check(again ? ips : ips.filter((ip) => !this.#probed.has(ip)));
  }

  /** Records that a send could not bind `ip` (the address left the host since it was probed). */
  markFailed(ip: string, code: string): void {
    this.#set(ip, { bindable: false, code });
    this.#changed();
  }

  /** The Pool IPs of known Pools this worker cannot bind. */
  report(): UnbindableIp[] {
    const out: UnbindableIp[] = [];
    for (const [ip, code] of this.#failed) {
      const poolIds = [...this.#pools].filter(([, ips]) => ips.includes(ip)).map(([id]) => id);
      if (poolIds.length > 0) out.push({ ip, poolIds, code });
    }
    return out.sort((a, b) => a.ip.localeCompare(b.ip));
  }

  async #check(ips: readonly string[]): Promise<void> {
    const unique = [...new Set(ips)];
    const results = await Promise.all(unique.map(async (ip) => [ip, await this.#probeOnce(ip)] as const));
    for (const [ip, result] of results) this.#set(ip, result);
    this.#changed();
  }

  #probeOnce(ip: string): Promise<SourceAddressProbe> {
    const running = this.#inFlight.get(ip);
    if (running) return running;
    const probe = this.#probe(ip).finally(() => this.#inFlight.delete(ip));
    this.#inFlight.set(ip, probe);
    return probe;
  }

  #set(ip: string, result: SourceAddressProbe): void {
    this.#probed.add(ip);
    const before = this.#failed.get(ip);
    if (result.bindable) {
      if (before === undefined) return;
      this.#failed.delete(ip);
      this.#log.info({ ip }, 'pool IP can be bound again');
      return;
    }
    if (before !== undefined) return;
    this.#failed.set(ip, result.code);
    const poolIds = [...this.#pools].filter(([, list]) => list.includes(ip)).map(([id]) => id);
    this.#log.error({ ip, poolIds, code: result.code }, 'pool IP cannot be bound on this host: no mail leaves from it');
  }

  #changed(): void {
    const report = this.report();
    const text = JSON.stringify(report);
    if (text === this.#lastReport) return;
    this.#lastReport = text;
    this.#onChange?.(report);
  }
}
