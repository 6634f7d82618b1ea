import type { SecretBox } from '../secret-box.js';
import { createWebhookStore, type WebhookStore } from './webhook-store.js';
import { createAnalystStore, type AnalystStore } from './analyst-store.js';
import { createAuditStore, type AuditStore } from './audit-store.js';
import { createBridgeStore, type BridgeStore } from './bridge-store.js';
import { createPoolStore, type PoolStore } from './pool-store.js';
import { createDomainStore, type DomainStore } from './domain-store.js';
import { createSuppressionStore, type SuppressionStore } from './suppression-store.js';
import {
  createSettingsStore,
  createUnmatchedReportStore,
  type SettingsStore,
  type UnmatchedReportStore,
} from './settings-store.js';
import type { SqlClient } from './sql.js';
import { createAccountStore, type AccountStore } from './account-store.js';
import { createPoolAccessStore, type PoolAccessStore } from './pool-access.js';
import { createTemplateStore, type TemplateStore } from './template-store.js';

/**
 * All control-plane access: the only module that speaks SQL. Another engine would implement
 * this interface.
 */
export interface Store
  extends
    PoolStore,
    BridgeStore,
    AuditStore,
    DomainStore,
    SuppressionStore,
    SettingsStore,
    UnmatchedReportStore,
    WebhookStore,
    TemplateStore,
    AnalystStore,
    AccountStore,
    PoolAccessStore {}

/** Creates the PostgreSQL-backed store (server or PGlite: same SQL). */
export function createStore(sql: SqlClient, box: SecretBox): Store {
  return {
    ...createPoolStore(sql),
    ...createBridgeStore(sql, box),
    ...createAuditStore(sql),
    ...createDomainStore(sql, box),
    ...createSuppressionStore(sql),
    ...createSettingsStore(sql),
    ...createUnmatchedReportStore(sql),
    ...createWebhookStore(sql, box),
    ...createTemplateStore(sql),
    ...createAnalystStore(sql),
    ...createAccountStore(sql),
    ...createPoolAccessStore(sql),
  };
}
