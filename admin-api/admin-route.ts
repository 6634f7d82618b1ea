import type Koa from 'koa';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Queue } from 'bullmq';
import {
  parseJson,
  readBody,
  type AuditEntry,
  type CancelledMessage,
  type AuthFailureLimiter,
  type BridgeLimiter,
  type EventBacklog,
  type ControlMessage,
  type Logger,
  type NewPool,
  type RouteSpec,
  type ShapingPolicy,
  type Store,
} from '../core/index.js';
import type { PublicEndpoints } from './views.js';
import type { AdminScope, RouteAccess } from './account-scope.js';

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
  /** Each Bridge's usage against its sending limits and its refusals, counted in Redis by every ingress. */
  bridgeLimits: Pick<BridgeLimiter, 'usage' | 'refusedBetween'>;
  /** Cancels a scheduled message (`cancelMessage` of core): any Bridge's, or only `bridgeId`'s. */
  cancelMessage: (messageId: string, bridgeId?: string) => Promise<CancelledMessage>;
  /** The Bridge of a scheduled message, from its schedule record; undefined when there is none. */
  scheduledBridge: (messageId: string) => Promise<string | undefined>;
  /** The queues operators watch (console, bull-board, `GET /admin/v1/queues`). */
  queues: QueueDirectory;
  /**
   * Chooses the hash tag of a new Pool's queue from its id and the live Pools (`choosePoolQueueTag`
   * of core); set on a Redis Cluster only. Absent, a new Pool keeps `pool-<id>`.
   */
  choosePoolQueueTag?: NewPool['chooseQueueTag'];
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
  /** Whom the call acts for. */
  scope: AdminScope;
  /** The store narrowed to {@link scope} (`scopeStore`): what every `account` route reads and writes through. */
  store: Store;
}

/**
 * A route of the admin API: its spec (for the router and OpenAPI) and its handler. An `admin`
 * route must say who may call it (`access`).
 */
export type AdminRoute = (
  (RouteSpec & { auth: 'admin'; access: RouteAccess }) | (RouteSpec & { auth: 'none' | 'bridge'; access?: undefined })
) & {
  handler: Koa.Middleware<AdminState, Koa.DefaultContext & { params: Record<string, string> }>;
};

const JSON_LIMIT = 1024 * 1024;

/** Reads and parses a JSON request body (1 MiB at most). */
export async function jsonBody(ctx: Koa.Context | Koa.ParameterizedContext): Promise<unknown> {
  return parseJson(await readBody(ctx.req, JSON_LIMIT));
}

/** Writes an audit entry and tells every process about the change (`null`: nothing cached to tell). */
export async function recordChange(
  deps: AdminAppDeps,
  actor: string,
  change: Omit<AuditEntry, 'id' | 'at' | 'actor'>,
  announcement?: ControlMessage | null,
): Promise<void> {
  await deps.store.appendAudit({ ...change, actor });
  if (announcement !== null)
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
