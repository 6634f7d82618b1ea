import type Koa from 'koa';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Queue } from 'bullmq';
import {
  parseJson,
  readBody,
  type AuditEntry,
  type AuthFailureLimiter,
  type EventBacklog,
  type ControlMessage,
  type Logger,
  type RouteSpec,
  type ShapingPolicy,
  type Store,
} from '../core/index.js';
import type { PublicEndpoints } from './views.js';

/** Collaborators of the admin API. */
export interface AdminAppDeps {
  store: Store;
  /** The analytics store (ClickHouse) and its database, for stats and timelines. */
  analytics: { client: ClickHouseClient; database: string };
  /** Announces a control-plane change to every process (cache invalidation, new Pool workers). */
  announce: (message: ControlMessage) => Promise<void>;
  endpoints: () => PublicEndpoints;
  adminToken: string;
  /** Checks a webhook target (scheme, and no private or loopback address unless allowed). */
  checkWebhookUrl: (url: string) => Promise<{ ok: true } | { ok: false; detail: string }>;
  /** The shaping policy from config, in force until one is set through the admin API. */
  defaultShaping: ShapingPolicy;
  /** Limits failed admin logins and lists / lifts the blocks of both planes. */
  limiter: Pick<AuthFailureLimiter, 'guard' | 'listBlocks' | 'liftBlock'>;
  logger: Logger;
  /** The queues operators watch (console, bull-board, `GET /admin/v1/queues`). */
  queues: QueueDirectory;
  /**
   * Directory of the built web console (`index.html` and assets), served at `/`; when it holds no
   * build, `/` answers 503 with how to build it.
   */
  consoleDir: string;
}

/** A BullMQ queue shown to operators. */
export interface WatchedQueue {
  /** Queue name as BullMQ knows it. */
  name: string;
  kind: 'pool' | 'inbound' | 'webhooks';
  /** The Pool of a delivery queue. */
  poolId?: string;
  queue: Queue;
}

/** Lists the platform's queues (every Pool's delivery queue, inbound reports, webhooks) and the event stream backlog. */
export interface QueueDirectory {
  list(): Promise<WatchedQueue[]>;
  eventBacklog(): Promise<EventBacklog>;
}

/** Per-request state of the admin API. */
export interface AdminState {
  /** Id of the admin token that authenticated the call (for the audit log). */
  actor: string;
}

/** A route of the admin API: its spec (for the router and OpenAPI) and its handler. */
export type AdminRoute = RouteSpec & {
  handler: Koa.Middleware<AdminState, Koa.DefaultContext & { params: Record<string, string> }>;
};

const JSON_LIMIT = 1024 * 1024;

/** Reads and parses a JSON request body (1 MiB at most). */
export async function jsonBody(ctx: Koa.Context | Koa.ParameterizedContext): Promise<unknown> {
  return parseJson(await readBody(ctx.req, JSON_LIMIT));
}

/** Writes an audit entry and tells every process about the change. */
export async function recordChange(
  deps: AdminAppDeps,
  actor: string,
  change: Omit<AuditEntry, 'id' | 'at' | 'actor'>,
  announcement?: ControlMessage,
): Promise<void> {
  await deps.store.appendAudit({ ...change, actor });
  await deps.announce(
    announcement ??
      (change.targetType === 'pool'
        ? { type: 'pool-changed', poolId: change.targetId }
        : { type: 'bridge-changed', bridgeId: change.targetId }),
  );
  deps.logger.info(
    { actor, action: change.action, targetType: change.targetType, targetId: change.targetId },
    'control-plane change',
  );
}
