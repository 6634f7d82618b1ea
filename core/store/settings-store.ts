import { newId } from '../ids.js';
import type { SqlClient } from './sql.js';

/** Platform-wide settings changed at run time through the admin API (e.g. the shaping policy). */
export interface SettingsStore {
  getSetting(key: string): Promise<unknown>;
  putSetting(key: string, value: unknown): Promise<void>;
}

/** Creates the settings half of the store. */
export function createSettingsStore(sql: SqlClient): SettingsStore {
  return {
    async getSetting(key) {
      const { rows } = await sql.query<{ value: unknown }>('SELECT value FROM settings WHERE key = $1', [key]);
      return rows[0]?.value;
    },
    async putSetting(key, value) {
      await sql.query(
        `INSERT INTO settings (key, value) VALUES ($1, $2::jsonb)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()`,
        [key, JSON.stringify(value)],
      );
    },
  };
}

/** A bounce or complaint that could not be tied to a message of ours: kept and visible, never dropped. */
export interface UnmatchedReport {
  id: string;
  receivedAt: Date;
  envelopeTo: string;
  kind: string;
  recipient: string | null;
  reason: string;
  status: string | null;
  /** The start of the raw report (64 KiB at most). */
  excerpt: string;
}

/** Unmatched inbound reports. */
export interface UnmatchedReportStore {
  saveUnmatchedReport(report: Omit<UnmatchedReport, 'id' | 'receivedAt'>): Promise<void>;
  listUnmatchedReports(options: { limit: number; before?: string }): Promise<UnmatchedReport[]>;
}

/** Creates the unmatched-report half of the store. */
export function createUnmatchedReportStore(sql: SqlClient): UnmatchedReportStore {
  return {
    async saveUnmatchedReport(r) {
      await sql.query(
        `INSERT INTO unmatched_reports (id, envelope_to, kind, recipient, reason, status, excerpt) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [newId('rep'), r.envelopeTo, r.kind, r.recipient, r.reason, r.status, r.excerpt.slice(0, 65_536)],
      );
    },
    async listUnmatchedReports({ limit, before }) {
      const { rows } = await sql.query<{
        id: string;
        received_at: Date;
        envelope_to: string;
        kind: string;
        recipient: string | null;
        reason: string;
        status: string | null;
        excerpt: string;
      }>(
        `SELECT * FROM unmatched_reports
          ${before ? 'WHERE (received_at, id) < (SELECT received_at, id FROM unmatched_reports WHERE id = $2)' : ''}
          ORDER BY received_at DESC, id DESC LIMIT $1`,
        before ? [limit, before] : [limit],
      );
      return rows.map((r) => ({
        id: r.id,
        receivedAt: r.received_at,
        envelopeTo: r.envelope_to,
        kind: r.kind,
        recipient: r.recipient,
        reason: r.reason,
        status: r.status,
        excerpt: r.excerpt,
      }));
    },
  };
}
