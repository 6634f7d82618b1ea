import { AppError, type RouteSpec, type Store } from '../core/index.js';

/** Whom an admin call acts for: the operator (every account) or one account (its token). */
export type AdminScope = 'operator' | { accountId: string };

/**
 * Which callers an admin route serves, checked before its handler runs: `operator` (to an account
 * token the route does not exist: 404), `account` (the handler reads and writes through
 * `ctx.state.store`, narrowed to the caller's account) or `shared` (one answer for everyone: it
 * holds no account's data, e.g. the list of event types).
 */
export type RouteAccess = NonNullable<RouteSpec['access']>;

const notFound = (what: string) => new AppError('NOT_FOUND', `no such ${what}`);

/**
 * The one place that decides what an account token sees: the store narrowed to one account.
 * Reads of another account's object find nothing (`undefined`, an empty list); changes to it are
 * `NOT_FOUND`, as if it did not exist, never a refusal that would tell it does; what is created
 * belongs to the account. The operator gets the store itself.
 */
export function scopeStore(store: Store, scope: AdminScope): Store {
  if (scope === 'operator') return store;
  const { accountId } = scope;
  const own = <T extends { accountId: string }>(o: T | undefined): T | undefined =>
    o?.accountId === accountId ? o : undefined;
  const bridge = async (id: string) => {
    if (!own(await store.getBridge(id))) throw notFound('bridge');
  };
  const webhook = async (id: string) => {
    const w = await store.getWebhook(id);
    if (!w || !own(await store.getBridge(w.bridgeId))) throw notFound('webhook');
  };
  const template = async (id: string) => {
    if (!own(await store.getTemplate(id))) throw notFound('template');
  };
  const visiblePool = <T extends { kind: string; accountId: string | null }>(p: T | undefined) =>
    p && (p.kind === 'shared' || p.accountId === accountId) ? p : undefined;
  return {
    ...store,
    // Bridges
    createBridge: (input) => store.createBridge({ ...input, accountId }),
    listBridges: (options = {}) => store.listBridges({ ...options, accountId }),
    getBridge: async (id) => own(await store.getBridge(id)),
    getBridgeWithSecrets: async (id) => (own(await store.getBridge(id)) ? store.getBridgeWithSecrets(id) : undefined),
    updateBridge: async (id, patch) => (await bridge(id), store.updateBridge(id, patch)),
    rotateCredentials: async (id, transports) => (await bridge(id), store.rotateCredentials(id, transports)),
    revokeCredential: async (id, transport) => (await bridge(id), store.revokeCredential(id, transport)),
    deleteBridge: async (id) => (await bridge(id), store.deleteBridge(id)),
    // Pools: shared ones and the account's own dedicated ones
    listPools: () => store.listPools({ accountId }),
    getPool: async (id) => visiblePool(await store.getPool(id)),
    // Templates
    createTemplate: (input) => store.createTemplate({ ...input, accountId }),
    listTemplates: () => store.listTemplates({ accountId }),
    getTemplate: async (id) => own(await store.getTemplate(id)),
    getTemplateByAlias: (alias) => store.getTemplateByAlias(alias, accountId),
    updateTemplate: async (id, patch) => (await template(id), store.updateTemplate(id, patch)),
    deleteTemplate: async (id) => (await template(id), store.deleteTemplate(id)),
    // DKIM domains
    createDomain: (input) => store.createDomain({ ...input, accountId }),
    listDomains: () => store.listDomains({ accountId }),
    getDomain: async (id) => own(await store.getDomain(id)),
    deleteDomain: async (id) => {
      if (!own(await store.getDomain(id))) throw notFound('domain');
      return store.deleteDomain(id);
    },
    // Suppressions
    addSuppression: (input) => store.addSuppression({ ...input, accountId }),
    listSuppressions: (query) => store.listSuppressions({ ...query, accountId }),
    getSuppression: async (id) => own(await store.getSuppression(id)),
    removeSuppression: async (id) => {
      if (!own(await store.getSuppression(id))) throw notFound('suppression');
      return store.removeSuppression(id);
    },
    // Webhooks, through their Bridge
    createWebhook: async (input) => (await bridge(input.bridgeId), store.createWebhook(input)),
    listWebhooks: async (bridgeId) => (own(await store.getBridge(bridgeId)) ? store.listWebhooks(bridgeId) : []),
    getWebhook: async (id) => {
      const w = await store.getWebhook(id);
      return w && own(await store.getBridge(w.bridgeId)) ? w : undefined;
    },
    deleteWebhook: async (id) => (await webhook(id), store.deleteWebhook(id)),
    rotateWebhookSecret: async (id) => (await webhook(id), store.rotateWebhookSecret(id)),
    listAttempts: async (id, limit) => (await webhook(id), store.listAttempts(id, limit)),
    // The account itself
    listAccounts: async () => [await store.getAccount(accountId)].filter((a) => a !== undefined),
    getAccount: async (id) => (id === accountId ? store.getAccount(id) : undefined),
  };
}

/**
 * The ids of the Bridges a caller may see (its account's, deleted ones included), for data kept
 * outside the store (events, stats); undefined for the operator, who sees every Bridge's.
 */
export async function visibleBridgeIds(state: { scope: AdminScope; store: Store }): Promise<Set<string> | undefined> {
  if (state.scope === 'operator') return undefined;
  return new Set((await state.store.listBridges({ includeDeleted: true })).map((b) => b.id));
}
