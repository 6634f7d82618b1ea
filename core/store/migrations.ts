import type { SqlClient } from './sql.js';

/**
 * Schema migrations, applied in order, each once. Append only once a release has shipped: never
 * edit a migration that an installation may have applied. Plain SQL that PostgreSQL servers and
 * PGlite both run.
 */
export const MIGRATIONS: readonly { id: number; name: string; sql: string }[] = [
  {
    id: 1,
    name: 'control-plane',
    sql: `
      CREATE TABLE pools (
        id          text PRIMARY KEY,
        name        text NOT NULL UNIQUE,
        deleted_at  timestamptz,
        created_at  timestamptz NOT NULL DEFAULT now()
      );
      -- An IP leaves a Pool by turning inactive (its history stays); active, it belongs to one Pool.
      CREATE TABLE pool_ips (
        pool_id  text NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
        ip       text NOT NULL,
        weight   real NOT NULL DEFAULT 1 CHECK (weight >= 0),
        active   boolean NOT NULL DEFAULT true,
        PRIMARY KEY (pool_id, ip)
      );
      CREATE UNIQUE INDEX pool_ips_active_ip ON pool_ips (ip) WHERE active;
      -- Credential generations let every process tell a rotated credential from the current one.
      CREATE TABLE bridges (
        id                 text PRIMARY KEY,
        name               text NOT NULL,
        pool_id            text NOT NULL REFERENCES pools(id),
        track_opens        boolean NOT NULL DEFAULT false,
        track_clicks       boolean NOT NULL DEFAULT false,
        tracking_base_url  text,
        smtp_username      text NOT NULL UNIQUE,
        smtp_password_enc  text NOT NULL,
        smtp_revoked_at    timestamptz,
        smtp_generation    integer NOT NULL DEFAULT 1,
        api_key_hash       text NOT NULL UNIQUE,
        api_key_enc        text NOT NULL,
        api_revoked_at     timestamptz,
        api_generation     integer NOT NULL DEFAULT 1,
        deleted_at         timestamptz,
        created_at         timestamptz NOT NULL DEFAULT now(),
        updated_at         timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX bridges_pool_id ON bridges (pool_id);
      CREATE TABLE audit_log (
        id           text PRIMARY KEY,
        at           timestamptz NOT NULL DEFAULT now(),
        actor        text NOT NULL,
        action       text NOT NULL,
        target_type  text NOT NULL,
        target_id    text NOT NULL,
        details      jsonb NOT NULL DEFAULT '{}'::jsonb
      );
      CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
      CREATE TABLE domains (
        id               text PRIMARY KEY,
        domain           text NOT NULL UNIQUE,
        selector         text NOT NULL,
        private_key_enc  text NOT NULL,
        public_key       text NOT NULL,
        created_at       timestamptz NOT NULL DEFAULT now()
      );
      -- bridge_id NULL: suppressed for every Bridge.
      CREATE TABLE suppressions (
        id                 text PRIMARY KEY,
        bridge_id          text,
        address            text NOT NULL,
        reason             text NOT NULL,
        source_message_id  text,
        created_at         timestamptz NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX suppressions_scope_address ON suppressions (coalesce(bridge_id, ''), address);
      CREATE INDEX suppressions_address ON suppressions (address);
      CREATE TABLE settings (
        key         text PRIMARY KEY,
        value       jsonb NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE unmatched_reports (
        id           text PRIMARY KEY,
        received_at  timestamptz NOT NULL DEFAULT now(),
        envelope_to  text NOT NULL,
        kind         text NOT NULL,
        recipient    text,
        reason       text NOT NULL,
        status       text,
        excerpt      text NOT NULL
      );
      CREATE INDEX unmatched_reports_received ON unmatched_reports (received_at DESC, id DESC);
      CREATE TABLE webhooks (
        id           text PRIMARY KEY,
        bridge_id    text NOT NULL REFERENCES bridges(id),
        url          text NOT NULL,
        event_types  text[] NOT NULL,
        secret_enc   text NOT NULL,
        key_id       text NOT NULL,
        active       boolean NOT NULL DEFAULT true,
        created_at   timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX webhooks_bridge ON webhooks (bridge_id);
      CREATE TABLE webhook_attempts (
        id           text PRIMARY KEY,
        webhook_id   text NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
        event_id     text NOT NULL,
        attempt      integer NOT NULL,
        status_code  integer,
        error        text,
        at           timestamptz NOT NULL DEFAULT now(),
        delivered    boolean NOT NULL DEFAULT false
      );
      CREATE INDEX webhook_attempts_webhook_at ON webhook_attempts (webhook_id, at DESC, id DESC);
    `,
  },
  {
    id: 2,
    name: 'templates',
    sql: `
      -- bridge_id NULL: every Bridge may send with the template.
      CREATE TABLE templates (
        id          text PRIMARY KEY,
        name        text NOT NULL,
        alias       text NOT NULL UNIQUE,
        subject     text NOT NULL,
        html        text,
        text        text,
        bridge_id   text REFERENCES bridges(id),
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX templates_bridge ON templates (bridge_id);
    `,
  },
  {
    id: 3,
    name: 'bridge-mode',
    sql: `
      -- 'sandbox': accepted, rendered, tracked and signed like 'live', settled without any MX connection.
      ALTER TABLE bridges ADD COLUMN mode text NOT NULL DEFAULT 'live' CHECK (mode IN ('live', 'sandbox'));
    `,
  },
  {
    id: 4,
    name: 'bridge-list-unsubscribe',
    sql: `
      -- One-click List-Unsubscribe (RFC 8058) on each recipient's copy; off unless the operator turns it on.
      ALTER TABLE bridges ADD COLUMN list_unsubscribe boolean NOT NULL DEFAULT false;
    `,
  },
  {
    id: 5,
    name: 'bridge-limits',
    sql: `
      -- Sending limits enforced at ingress: { perSecond?, perMinute?, perHour?, perDay? }; NULL: none.
      ALTER TABLE bridges ADD COLUMN limits jsonb;
    `,
  },
  {
    id: 6,
    name: 'analysts',
    sql: `
      -- Credentials of the analysts' read-only SQL endpoint; the secret is kept as its SHA-256 only.
      CREATE TABLE analysts (
        id           text PRIMARY KEY,
        name         text NOT NULL UNIQUE,
        secret_hash  text NOT NULL UNIQUE,
        created_at   timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    id: 7,
    name: 'accounts',
    sql: `
      -- Whose objects are whose: every Bridge, template, suppression and DKIM domain belongs to one
      -- account (a webhook through its Bridge). What existed before belongs to the default account.
      CREATE TABLE accounts (
        id             text PRIMARY KEY,
        name           text NOT NULL UNIQUE,
        dedicated_ips  boolean NOT NULL DEFAULT false,
        -- Sending limits over all of the account's Bridges together: { perSecond?, perMinute?, perHour?, perDay? }.
        limits         jsonb,
        created_at     timestamptz NOT NULL DEFAULT now(),
        updated_at     timestamptz NOT NULL DEFAULT now()
      );
      INSERT INTO accounts (id, name) VALUES ('acc_default', 'default');
      ALTER TABLE bridges ADD COLUMN account_id text NOT NULL DEFAULT 'acc_default' REFERENCES accounts(id);
      CREATE INDEX bridges_account ON bridges (account_id);
      ALTER TABLE templates ADD COLUMN account_id text NOT NULL DEFAULT 'acc_default' REFERENCES accounts(id);
      ALTER TABLE domains ADD COLUMN account_id text NOT NULL DEFAULT 'acc_default' REFERENCES accounts(id);
      -- bridge_id NULL now means every Bridge of the account, not of the installation.
      ALTER TABLE suppressions ADD COLUMN account_id text NOT NULL DEFAULT 'acc_default' REFERENCES accounts(id);
      DROP INDEX suppressions_scope_address;
      CREATE UNIQUE INDEX suppressions_scope_address ON suppressions (account_id, coalesce(bridge_id, ''), address);
      -- Template aliases are unique within an account: another account's never show.
      ALTER TABLE templates DROP CONSTRAINT templates_alias_key;
      CREATE UNIQUE INDEX templates_account_alias ON templates (account_id, alias);
      -- A shared Pool takes any account's Bridges; a dedicated one only its account's.
      ALTER TABLE pools ADD COLUMN kind text NOT NULL DEFAULT 'shared' CHECK (kind IN ('shared', 'dedicated'));
      ALTER TABLE pools ADD COLUMN account_id text REFERENCES accounts(id);
      ALTER TABLE pools ADD CONSTRAINT pools_kind_account CHECK ((kind = 'dedicated') = (account_id IS NOT NULL));
      -- Account tokens of the admin API: kept as their SHA-256 only, shown once.
      CREATE TABLE account_tokens (
        id            text PRIMARY KEY,
        account_id    text NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        name          text NOT NULL,
        token_hash    text NOT NULL UNIQUE,
        created_at    timestamptz NOT NULL DEFAULT now(),
        last_used_at  timestamptz,
        revoked_at    timestamptz
      );
      CREATE INDEX account_tokens_account ON account_tokens (account_id);
    `,
  },
  {
    id: 8,
    name: 'pool-queue-tag',
    sql: `
      -- The hash tag of a Pool's queue keys on a Redis Cluster, chosen at creation to spread the
      -- queues over the primaries; NULL: 'pool-<id>' (created on one server, or before this column).
      ALTER TABLE pools ADD COLUMN queue_tag text;
    `,
  },
];

/** Applies pending migrations idempotently; concurrent starters serialise on an advisory lock. */
export async function migrate(sql: SqlClient): Promise<number[]> {
  return sql.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(727274)');
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await tx.query<{ id: number }>('SELECT id FROM schema_migrations')).rows.map((r) => r.id));
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.id)) continue;
      await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (id, name) VALUES ($1, $2)', [m.id, m.name]);
      applied.push(m.id);
    }
    return applied;
  });
}
