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
