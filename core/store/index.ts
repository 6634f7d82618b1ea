export { createStore, type Store } from './store.js';
export type { NewPool, PoolStore } from './pool-store.js';
export {
  API_KEY_PREFIX,
  deletedBridgeCredentials,
  type NewBridge,
  type BridgePatch,
  type BridgeStore,
} from './bridge-store.js';
export type { AuditStore } from './audit-store.js';
export type { Analyst, AnalystStore } from './analyst-store.js';
export type { DomainStore, SigningKey } from './domain-store.js';
export type { SuppressionStore, Suppression, SuppressionQuery } from './suppression-store.js';
export type { SettingsStore, UnmatchedReport, UnmatchedReportStore } from './settings-store.js';
export { openPostgres, openPglite, type SqlClient, type SqlExecutor } from './sql.js';
export { migrate, MIGRATIONS } from './migrations.js';
export {
  createWebhookStore,
  type WebhookStore,
  type Webhook,
  type WebhookTarget,
  type WebhookWithSecret,
  type WebhookAttempt,
  type NewWebhookAttempt,
} from './webhook-store.js';
export type { Template, NewTemplate, TemplatePatch, TemplateStore } from './template-store.js';
export {
  ACCOUNT_TOKEN_PREFIX,
  DEFAULT_ACCOUNT_ID,
  type Account,
  type AccountStore,
  type AccountToken,
} from './account-store.js';
export type { PoolAccessStore, Rebind } from './pool-access.js';
