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
