import type { SecretBox } from '../secret-box.js';
import { createWebhookStore, type WebhookStore } from './webhook-store.js';
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
    WebhookStore {}

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
  };
}
