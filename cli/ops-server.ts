import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, collectDefaultMetrics, Registry } from 'prom-client';
import type { AuthCounts, EventBacklog, Logger, MailEvent, ReplicaAckCounts } from '../core/index.js';

/** A dependency whose health decides readiness. */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<unknown>;
}

/** What the ops endpoints report on. */
export interface OpsWiring {
  host: string;
  port: number;
  logger: Logger;
  /** The roles this process runs (a label on every metric). */
  roles: readonly string[];
  checks: ReadinessCheck[];
  /** Job counts per queue and state (when this process can see the queues). */
  queueDepths?: () => Promise<{ queue: string; state: string; count: number }[]>;
  /** The event stream's backlog per reader. */
  eventBacklog?: () => Promise<EventBacklog>;
  /** Failed authentications and refusals counted by this process. */
  authCounts?: () => AuthCounts;
  /** Sends the delivery shaper delayed, per (IP, rollup, reason), counted by every process in Redis. */
  shapingThrottles?: () => Promise<readonly { ip: string; rollup: string; reason: string; count: number }[]>;
  /** Messages refused for a Bridge's sending limit, per (Bridge, limit), counted by every ingress in Redis. */
  bridgeRateLimited?: () => Promise<readonly { bridgeId: string; limit: string; count: number }[]>;
  /** Refusals for accounts' sending limits (`bridgeId` holds the account's id). */
  accountRateLimited?: () => Promise<readonly { bridgeId: string; limit: string; count: number }[]>;
  /** How the replica waits of accepted messages ended (with `BRIDGEMAIL_REDIS_WAIT_REPLICAS`). */
  replicaAcks?: () => ReplicaAckCounts;
  /** Pool IPs the delivery of this process cannot bind on its host (processes running the worker role). */
  unbindableIps?: () => readonly { ip: string; poolIds: readonly string[]; code: string }[];
}

/** A running ops server and the hook the analytics writer feeds. */
export interface OpsServer {
  port: number;
  /** Counts events once they are in ClickHouse (wired to the analytics writer). */
  countEvents(events: readonly MailEvent[]): void;
  /** Counts an analyst query of the SQL endpoint: `ok` or the ClickHouse error name it was refused with. */
  countSqlQuery(outcome: string, seconds: number): void;
  close(): Promise<void>;
}

const MAX_DOMAINS = 500;
const CHECK_TIMEOUT_MS = 2000;
/**
 * Readiness entry of the Pool IPs delivery cannot bind. Its failure reports `degraded` with 200,
 * not 503: ingress still accepts and the other IPs and Pools still deliver, so no balancer or
 * orchestrator should take the process out; operators alert on `bridgemail_pool_ips_unbindable`.
 */
const SOURCE_IPS_CHECK = 'source-ips';

/**
 * `GET /healthz` (alive), `GET /readyz` (Redis, the control-plane database and ClickHouse answer;
 * 503 naming what does not; 200 `degraded` naming the Pool IPs delivery cannot bind) and
 * `GET /metrics` (Prometheus text: process metrics, queue depths,
 * event backlog, failed and refused authentications, and, in the analytics role, events by type
 * and Pool IP, deferrals by IP and recipient domain, and analyst queries of the SQL endpoint).
 */
export async function startOpsServer(wiring: OpsWiring): Promise<OpsServer> {
  const registry = new Registry();
  registry.setDefaultLabels({ roles: wiring.roles.join(',') });
  collectDefaultMetrics({ register: registry, prefix: 'bridgemail_' });
  if (wiring.queueDepths) {
    const depths = wiring.queueDepths;
    new Gauge({
      name: 'bridgemail_queue_jobs',
      help: 'Jobs per queue and state (pool-<id> delivery queues, inbound-reports, webhooks)',
      labelNames: ['queue', 'state'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const d of await depths()) this.set({ queue: d.queue, state: d.state }, d.count);
      },
    });
  }
  if (wiring.eventBacklog) {
    const backlog = wiring.eventBacklog;
    new Gauge({
      name: 'bridgemail_event_backlog',
      help: 'Event stream entries per reader: pending (read, not acknowledged) and lag (not read yet); reader "stream" is the stream length',
      labelNames: ['reader', 'kind'],
      registers: [registry],
      async collect() {
        this.reset();
        const b = await backlog();
        this.set({ reader: 'stream', kind: 'length' }, b.length);
        for (const g of b.groups) {
          this.set({ reader: g.name, kind: 'pending' }, g.pending);
          if (g.lag !== null) this.set({ reader: g.name, kind: 'lag' }, g.lag);
        }
      },
    });
  }
  if (wiring.authCounts) {
    const counts = wiring.authCounts;
    for (const kind of ['failures', 'refusals'] as const) {
      new Counter({
        name: `bridgemail_auth_${kind}_total`,
        help:
          kind === 'failures'
            ? 'Failed authentications, by transport (api, smtp, admin, console)'
            : 'Attempts refused with AUTH_RATE_LIMITED (429 / SMTP 454), by transport',
        labelNames: ['transport'],
        registers: [registry],
        collect() {
          this.reset();
          for (const [transport, n] of Object.entries(counts()[kind])) this.inc({ transport }, n);
        },
      });
    }
  }
  if (wiring.replicaAcks) {
    const counts = wiring.replicaAcks;
    new Counter({
      name: 'bridgemail_redis_replica_waits_total',
      help: 'Waits for Redis replicas to hold accepted messages: acked (all asked for), short (accepted held by fewer)',
      labelNames: ['outcome'],
      registers: [registry],
      collect() {
        this.reset();
        const { acked, short } = counts();
        this.inc({ outcome: 'acked' }, acked);
        this.inc({ outcome: 'short' }, short);
      },
    });
  }
  if (wiring.bridgeRateLimited) {
    const refusals = wiring.bridgeRateLimited;
    new Counter({
      name: 'bridgemail_bridge_rate_limited_total',
      help: "Messages refused (REST 429 / SMTP 452 BRIDGE_RATE_LIMITED) for a Bridge's sending limit, by Bridge and limit",
      labelNames: ['bridge', 'limit'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const r of await refusals()) this.inc({ bridge: r.bridgeId, limit: r.limit }, r.count);
      },
    });
  }
  if (wiring.accountRateLimited) {
    const refusals = wiring.accountRateLimited;
    new Counter({
      name: 'bridgemail_account_rate_limited_total',
      help:
        "Messages refused (REST 429 / SMTP 452 BRIDGE_RATE_LIMITED) for an account's sending limit, " +
        'by account and limit',
      labelNames: ['account', 'limit'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const r of await refusals()) this.inc({ account: r.bridgeId, limit: r.limit }, r.count);
      },
    });
  }
  if (wiring.shapingThrottles) {
    const throttles = wiring.shapingThrottles;
    new Counter({
      name: 'bridgemail_shaping_throttled_total',
      help: 'Sends the delivery shaper delayed (no attempt spent), by Pool IP, provider rollup and reason (ip-rate, destination-connections, …)',
      labelNames: ['ip', 'rollup', 'reason'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const t of await throttles()) this.inc({ ip: t.ip, rollup: t.rollup, reason: t.reason }, t.count);
      },
    });
  }
  const events = new Counter({
    name: 'bridgemail_events_total',
    help: 'Events written to ClickHouse, by type and Pool IP',
    labelNames: ['type', 'ip'],
    registers: [registry],
  });
  const deferrals = new Counter({
    name: 'bridgemail_deferrals_total',
    help: `Temporary failures by Pool IP and recipient domain (the first ${MAX_DOMAINS} domains seen; others as "other")`,
    labelNames: ['ip', 'domain'],
    registers: [registry],
  });
  const sqlQueries = new Counter({
    name: 'bridgemail_sql_queries_total',
    help:
      'Analyst queries of the SQL endpoint, by outcome: ok or the ClickHouse error name ' +
      '(READONLY, TIMEOUT_EXCEEDED, …)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const sqlSeconds = new Counter({
    name: 'bridgemail_sql_query_seconds_total',
    help: 'Time analyst queries of the SQL endpoint took, waiting included',
    registers: [registry],
  });
  const domains = new Set<string>();
  const domainLabel = (recipient: string | undefined) => {
    const domain = (recipient ?? '').split('@').pop()?.toLowerCase() ?? '';
    if (domains.has(domain)) return domain;
    if (domains.size >= MAX_DOMAINS) return 'other';
    domains.add(domain);
    return domain;
  };

  if (wiring.unbindableIps) {
    const unbindable = wiring.unbindableIps;
    new Gauge({
      name: 'bridgemail_pool_ips_unbindable',
      help: 'Pool IPs the delivery of this process cannot bind on its host (no mail leaves from them)',
      registers: [registry],
      collect() {
        this.set(unbindable().length);
      },
    });
  }
  const sourceIpsCheck = (list: ReturnType<NonNullable<OpsWiring['unbindableIps']>>) =>
    list.length === 0
      ? 'ok'
      : `cannot bind ${list.map((u) => `${u.ip} (${u.code}; pool ${u.poolIds.join(', ')})`).join(', ')}`;

  const ready = async () => {
    const results = await Promise.all(
      wiring.checks.map(async (c) => {
        const timeout = new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('timed out')), CHECK_TIMEOUT_MS).unref(),
        );
        try {
          await Promise.race([c.check(), timeout]);
          return [c.name, 'ok'] as const;
        } catch (err) {
          return [c.name, String((err as Error).message ?? err)] as const;
        }
      }),
    );
    if (wiring.unbindableIps) results.push([SOURCE_IPS_CHECK, sourceIpsCheck(wiring.unbindableIps())]);
    return Object.fromEntries(results);
  };

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(
        405,
        'application/json',
        JSON.stringify({ error: { code: 'METHOD_NOT_ALLOWED', message: 'GET only' } }),
      );
    if (path === '/healthz')
      return send(200, 'application/json', JSON.stringify({ status: 'ok', roles: wiring.roles }));
    if (path === '/readyz') {
      ready().then(
        (checks) => {
          const ok = Object.entries(checks).every(([name, v]) => v === 'ok' || name === SOURCE_IPS_CHECK);
          const status = !ok ? 'unavailable' : Object.values(checks).every((v) => v === 'ok') ? 'ready' : 'degraded';
          send(ok ? 200 : 503, 'application/json', JSON.stringify({ status, checks }));
        },
        (err: unknown) => send(503, 'application/json', JSON.stringify({ status: 'unavailable', error: String(err) })),
      );
      return;
    }
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => send(200, registry.contentType, text),
        (err: unknown) => {
          wiring.logger.warn({ err }, 'metrics not collected');
          send(
            500,
            'application/json',
            JSON.stringify({ error: { code: 'INTERNAL', message: 'metrics not collected' } }),
          );
        },
      );
      return;
    }
    send(
      404,
      'application/json',
      JSON.stringify({ error: { code: 'ROUTE_NOT_FOUND', message: 'GET /healthz, /readyz or /metrics' } }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(wiring.port, wiring.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    countEvents(batch) {
      for (const e of batch) {
        events.inc({ type: e.type, ip: ('ip' in e ? e.ip : undefined) ?? '' });
        if (e.type === 'deferred') deferrals.inc({ ip: e.ip ?? '', domain: domainLabel(e.recipient) });
      }
    },
    countSqlQuery(outcome, seconds) {
      sqlQueries.inc({ outcome });
      sqlSeconds.inc(seconds);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
