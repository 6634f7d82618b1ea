import type { Redis } from 'ioredis';
import {
  AuthFailureLimiter,
  BridgeAuthCache,
  controlChannel,
  createAuthenticator,
  listenToControl,
  SuppressionIndex,
  TemplateCache,
  TtlCache,
  type Authenticator,
  type Config,
  type ControlMessage,
  type EventType,
  type Logger,
  type Store,
  keyLayoutOf,
} from '../../core/index.js';
import { startOwning } from './close-stack.js';

/** What {@link startControlCaches} reads from: the store and the Redis connections of the engines. */
export interface ControlCachesWiring {
  config: Config;
  logger: Logger;
  store: Store;
  /** Duplicated for the control channel's subscription, and used to publish announcements. */
  producerRedis: Redis;
  /** The auth limiter's failure counters. */
  commandsRedis: Redis;
}

/** The control plane as the roles of this process read it: cached, kept current by the control channel. */
export interface ControlCaches {
  /** Checks Bridge credentials (cached) behind the failure limiter. */
  auth: Authenticator;
  /** Counts failed authentications per plane, address and principal, shared by every process. */
  limiter: AuthFailureLimiter;
  /** The recipients of a message suppressed for its Bridge (an in-memory index). */
  isSuppressed: (bridgeId: string, recipients: readonly string[]) => Promise<Set<string>>;
  /** Active webhooks of a Bridge subscribed to an event type. */
  webhooksFor: (bridgeId: string, type: EventType) => Promise<readonly { id: string }[]>;
  /** Whether any Bridge has an active webhook. */
  anyWebhooks: () => Promise<boolean>;
  /** Templates by alias or id, cached until a `template-changed` announcement. */
  templates: TemplateCache;
  /** Applies a change to this process at once, then announces it to every other process. */
  announce: (message: ControlMessage) => Promise<void>;
  /** Stops listening to the control channel. */
  close(): Promise<void>;
}

/** How long a Bridge's webhooks are reused without an announcement saying they changed. */
const WEBHOOKS_TTL_MS = 30_000;

/**
 * Loads the suppression index and subscribes to the control channel, whose announcements (from
 * any process) invalidate the Bridge credentials, webhooks, suppressions and templates cached here; after a
 * reconnection every cache is dropped, since announcements may have been missed meanwhile.
 */
export function startControlCaches(wiring: ControlCachesWiring): Promise<ControlCaches> {
  const { config, logger, store } = wiring;
  return startOwning(logger, async (stack) => {
    const authCache = new BridgeAuthCache(store);
    // Every event is matched against its Bridge's webhooks: read once per Bridge, not once per event.
    const bridgeWebhooks = new TtlCache((bridgeId) => store.listWebhooks(bridgeId), WEBHOOKS_TTL_MS);
    const anyWebhooks = new TtlCache(() => store.hasActiveWebhooks(), WEBHOOKS_TTL_MS);
    // Read on every acceptance: in memory, reloaded on the control channel's announcements.
    const suppressions = new SuppressionIndex(async () => ({
      entries: await store.suppressionKeys(),
      bridges: await store.bridgeAccounts(),
    }));
    await suppressions.refresh();
    const templates = new TemplateCache(store);
    const reloadSuppressions = () =>
      void suppressions.refresh().catch((err: unknown) => logger.warn({ err }, 'suppression list not reloaded'));
    const apply = (m: ControlMessage) => {
      if (m.type === 'suppression-changed') reloadSuppressions();
      if (m.type === 'template-changed') templates.clear();
      if (m.type !== 'bridge-changed') return;
      authCache.invalidate(m.bridgeId);
      bridgeWebhooks.invalidate(m.bridgeId);
      anyWebhooks.clear();
    };
    const stopListening = await listenToControl({
      redis: wiring.producerRedis,
      prefix: config.redis.prefix,
      logger,
      onMessage: apply,
      onResubscribe: () => {
        authCache.clear();
        bridgeWebhooks.clear();
        anyWebhooks.clear();
        templates.clear();
        reloadSuppressions();
      },
    });
    stack.defer(stopListening);
    const limiter = new AuthFailureLimiter(
      wiring.commandsRedis,
      keyLayoutOf(config.redis),
      config.authLimits,
      logger.child({ component: 'auth' }),
    );
    return {
      auth: createAuthenticator(authCache, limiter),
      limiter,
      isSuppressed: (bridgeId: string, recipients: readonly string[]) => suppressions.among(bridgeId, recipients),
      webhooksFor: async (bridgeId: string, type: EventType) =>
        (await bridgeWebhooks.get(bridgeId)).filter((w) => w.active && w.eventTypes.includes(type)),
      anyWebhooks: () => anyWebhooks.get(''),
      templates,
      announce: async (message: ControlMessage) => {
        apply(message);
        await wiring.producerRedis.publish(controlChannel(config.redis.prefix), JSON.stringify(message));
      },
    };
  });
}
