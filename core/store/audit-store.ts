import { LONE_SURROGATE } from '../http.js';
import { newId } from '../ids.js';
import type { AuditEntry } from '../domain.js';
import type { SqlClient } from './sql.js';

/** The audit log: every change to a Pool or Bridge, never a secret. */
export interface AuditStore {
  appendAudit(entry: Omit<AuditEntry, 'id' | 'at'>): Promise<AuditEntry>;
  /** Newest first; `before` is the id of the last entry of the previous page. */
  listAudit(options: { limit: number; before?: string; targetId?: string }): Promise<AuditEntry[]>;
  /**
   * What each id stands for, as people know it: the name of a Bridge, Pool, account, account token,
   * template or analyst, a DKIM domain's domain, a webhook's URL host. Ids of objects the store no
   * longer has (and strings that are no id) are left out.
   */
  namesOf(ids: readonly string[]): Promise<Record<string, string>>;
}

/** One query over every kind of object an audit entry may name; deleted Bridges and Pools included. */
const NAMES_SQL = `
  WITH wanted AS (SELECT jsonb_array_elements_text($1::jsonb) AS id)
  SELECT id, name, 'name' AS kind FROM bridges WHERE id IN (SELECT id FROM wanted)
  UNION ALL SELECT id, name, 'name' FROM pools WHERE id IN (SELECT id FROM wanted)
  UNION ALL SELECT id, name, 'name' FROM accounts WHERE id IN (SELECT id FROM wanted)
  UNION ALL SELECT id, name, 'name' FROM account_tokens WHERE id IN (SELECT id FROM wanted)
  UNION ALL SELECT id, name, 'name' FROM templates WHERE id IN (SELECT id FROM wanted)
  UNION ALL SELECT id, name, 'name' FROM analysts WHERE id IN (SELECT id FROM wanted)
  UNION ALL SELECT id, domain, 'name' FROM domains WHERE id IN (SELECT id FROM wanted)
  UNION ALL SELECT id, url, 'url' FROM webhooks WHERE id IN (SELECT id FROM wanted)`;

/** A webhook's URL host (with its port, if any); the URL itself if it does not parse. */
function urlHost(url: string): string {
  try {
    return new URL(url).host || url;
  } catch {
    return url;
  }
}

interface AuditRow {
  id: string;
  at: Date;
  actor: string;
  action: string;
  target_type: AuditEntry['targetType'];
  target_id: string;
  details: Record<string, unknown>;
}

/** Creates the audit half of the store. */
export function createAuditStore(sql: SqlClient): AuditStore {
  const toEntry = (r: AuditRow): AuditEntry => ({
    id: r.id,
    at: r.at,
    actor: r.actor,
    action: r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    details: r.details,
  });
  return {
    async appendAudit(entry) {
      const { rows } = await sql.query<AuditRow>(
        `INSERT INTO audit_log (id, actor, action, target_type, target_id, details)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb) RETURNING *`,
        [
          newId('aud'),
          entry.actor,
          entry.action,
          entry.targetType,
          entry.targetId,
          JSON.stringify(entry.details, wellFormed),
        ],
      );
      if (!rows[0]) throw new Error('insert returned no row');
      return toEntry(rows[0]);
    },
    async listAudit({ limit, before, targetId }) {
      const where: string[] = [];
      const params: unknown[] = [];
      if (before) {
        params.push(before);
        where.push(`(at, id) < (SELECT at, id FROM audit_log WHERE id = $${params.length})`);
      }
      if (targetId) {
        params.push(targetId);
        where.push(`target_id = $${params.length}`);
      }
      params.push(limit);
      const { rows } = await sql.query<AuditRow>(
        `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
          ORDER BY at DESC, id DESC LIMIT $${params.length}`,
        params,
      );
      return rows.map(toEntry);
    },
    async namesOf(ids) {
      const wanted = [...new Set(ids)];
      if (!wanted.length) return {};
      const { rows } = await sql.query<{ id: string; name: string; kind: 'name' | 'url' }>(NAMES_SQL, [
        JSON.stringify(wanted),
      ]);
      return Object.fromEntries(rows.map((r) => [r.id, r.kind === 'url' ? urlHost(r.name) : r.name]));
    },
  };
}

/** JSON replacer: lone surrogates (invalid Unicode, refused by jsonb) become U+FFFD. */
function wellFormed(_key: string, value: unknown): unknown {
  return typeof value === 'string' ? value.replace(new RegExp(LONE_SURROGATE.source, 'g'), '\uFFFD') : value;
}
