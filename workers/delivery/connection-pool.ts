import type { MxTarget } from '../../core/index.js';
import { MxSession, type SessionOptions, type Unreachable } from './mx-session.js';

/** Settings of {@link ConnectionPool}. */
export interface ConnectionPoolOptions {
  /** Idle connections are closed after this long. @defaultValue 30000 */
  idleMs?: number;
  /** Transactions per connection before it is retired (receivers limit this). @defaultValue 100 */
  maxTransactions?: number;
  /** Idle connections kept per (source IP, MX). @defaultValue 10 */
  maxIdlePerKey?: number;
}

interface Idle {
  session: MxSession;
  timer: NodeJS.Timeout;
}

/**
 * Reuses SMTP connections across jobs, keyed by (source IP, MX host:port), with an idle timeout
 * and a cap on transactions per connection. One process owns one pool.
 */
export class ConnectionPool {
  readonly #idle = new Map<string, Idle[]>();
  readonly #idleMs: number;
  readonly #maxTransactions: number;
  readonly #maxIdlePerKey: number;

  constructor(options: ConnectionPoolOptions = {}) {
    this.#idleMs = options.idleMs ?? 30_000;
    this.#maxTransactions = options.maxTransactions ?? 100;
    this.#maxIdlePerKey = options.maxIdlePerKey ?? 10;
  }

  static key(ip: string, target: MxTarget, requireTls = false): string {
    return `${ip}|${target.host}:${target.port}${requireTls ? '|tls' : ''}`;
  }

  /** An idle live connection for this key, or a new one. */
  async acquire(options: SessionOptions): Promise<MxSession | Unreachable> {
    const list = this.#idle.get(ConnectionPool.key(options.localAddress, options.target, options.requireTls));
    while (list?.length) {
      const idle = list.pop();
      if (!idle) break;
      clearTimeout(idle.timer);
      if (idle.session.alive) return idle.session;
    }
    return MxSession.open(options);
  }

  /** Returns a connection after use: kept for reuse if healthy and under its cap, else closed. */
  release(ip: string, target: MxTarget, session: MxSession, requireTls = false): void {
    const key = ConnectionPool.key(ip, target, requireTls);
    const list = this.#idle.get(key) ?? [];
    if (!session.alive || session.transactions >= this.#maxTransactions || list.length >= this.#maxIdlePerKey) {
      if (session.alive) session.quit();
      return;
    }
    const timer = setTimeout(() => {
      const current = this.#idle.get(key);
      const i = current?.findIndex((x) => x.session === session) ?? -1;
      if (current && i >= 0) current.splice(i, 1);
      session.quit();
    }, this.#idleMs);
    timer.unref();
    list.push({ session, timer });
    this.#idle.set(key, list);
  }

  /** Closes every idle connection. */
  close(): void {
    for (const list of this.#idle.values()) {
      for (const { session, timer } of list) {
        clearTimeout(timer);
        session.quit();
      }
    }
    this.#idle.clear();
  }
}
