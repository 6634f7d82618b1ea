import { AppError } from '../errors.js';
import { newId } from '../ids.js';
import type { SqlClient } from './sql.js';
import { DEFAULT_ACCOUNT_ID } from './account-store.js';

/** A message template (Mustache): what a send names by alias or id instead of subject and body. */
export interface Template {
  id: string;
  name: string;
  /** Unique within its account, `[a-z0-9-_]`, 1 to 64 characters. */
  alias: string;
  subject: string;
  html: string | null;
  text: string | null;
  /** The only Bridge that may send with it; null: every Bridge of its account. */
  bridgeId: string | null;
  /** The account it belongs to; only that account's Bridges send with it. */
  accountId: string;
  createdAt: Date;
  updatedAt: Date;
}

/** Input of {@link TemplateStore.createTemplate}; checked (syntax, limits) by the caller. */
export type NewTemplate = Pick<Template, 'name' | 'alias' | 'subject' | 'html' | 'text' | 'bridgeId'> & {
  /** @defaultValue the default account */
  accountId?: string;
};

/** Input of {@link TemplateStore.updateTemplate}: the fields to change. */
export type TemplatePatch = Partial<Omit<NewTemplate, 'accountId'>>;

/** Templates of the control plane. */
export interface TemplateStore {
  /** Throws `TEMPLATE_ALIAS_TAKEN` or `BRIDGE_NOT_FOUND` (a deleted or unknown Bridge). */
  createTemplate(input: NewTemplate): Promise<Template>;
  /** Every template (one account's with `accountId`), by alias. */
  listTemplates(options?: { accountId?: string }): Promise<Template[]>;
  getTemplate(id: string): Promise<Template | undefined>;
  /** The account's template of this alias (aliases are unique within an account). */
  getTemplateByAlias(alias: string, accountId: string): Promise<Template | undefined>;
  /** Throws `NOT_FOUND`, `TEMPLATE_ALIAS_TAKEN` or `BRIDGE_NOT_FOUND`. */
  updateTemplate(id: string, patch: TemplatePatch): Promise<Template>;
  /** Throws `NOT_FOUND`. */
  deleteTemplate(id: string): Promise<Template>;
}

interface TemplateRow {
  id: string;
  name: string;
  alias: string;
  subject: string;
  html: string | null;
  text: string | null;
  bridge_id: string | null;
  account_id: string;
  created_at: Date;
  updated_at: Date;
}

const toTemplate = (r: TemplateRow): Template => ({
  id: r.id,
  name: r.name,
  alias: r.alias,
  subject: r.subject,
  html: r.html,
  text: r.text,
  bridgeId: r.bridge_id,
  accountId: r.account_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Column of each patchable field. */
const COLUMNS: Record<keyof TemplatePatch, string> = {
  name: 'name',
  alias: 'alias',
  subject: 'subject',
  html: 'html',
  text: 'text',
  bridgeId: 'bridge_id',
};

/** Creates the template half of the store. */
export function createTemplateStore(sql: SqlClient): TemplateStore {
  // A template may be bound to a live Bridge of its own account only.
  const checkBridge = async (bridgeId: string | null | undefined, accountId: string) => {
    if (bridgeId === null || bridgeId === undefined) return;
    const { rows } = await sql.query('SELECT 1 FROM bridges WHERE id = $1 AND deleted_at IS NULL AND account_id = $2', [
      bridgeId,
      accountId,
    ]);
    if (rows.length === 0) throw new AppError('BRIDGE_NOT_FOUND', `no Bridge ${bridgeId}`, { field: 'bridgeId' });
  };
  const aliasTaken = (err: unknown, alias: string | undefined): unknown => {
    const e = err as { code?: unknown; constraint?: unknown };
    if (e.code === '23505')
      return new AppError('TEMPLATE_ALIAS_TAKEN', `another template has the alias ${alias ?? ''}`, {
        field: 'alias',
        cause: err,
      });
    if (e.code === '23503')
      return new AppError('BRIDGE_NOT_FOUND', 'no such Bridge', { field: 'bridgeId', cause: err });
    return err;
  };
  return {
    async createTemplate(input) {
      const accountId = input.accountId ?? DEFAULT_ACCOUNT_ID;
      await checkBridge(input.bridgeId, accountId);
      try {
        const { rows } = await sql.query<TemplateRow>(
          `INSERT INTO templates (id, name, alias, subject, html, text, bridge_id, account_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
          [newId('tpl'), input.name, input.alias, input.subject, input.html, input.text, input.bridgeId, accountId],
        );
        if (!rows[0]) throw new Error('insert returned no row');
        return toTemplate(rows[0]);
      } catch (err) {
        throw aliasTaken(err, input.alias);
      }
    },
    async listTemplates(options = {}) {
      const { rows } =
        options.accountId === undefined
          ? await sql.query<TemplateRow>('SELECT * FROM templates ORDER BY alias')
          : await sql.query<TemplateRow>('SELECT * FROM templates WHERE account_id = $1 ORDER BY alias', [
              options.accountId,
            ]);
      return rows.map(toTemplate);
    },
    async getTemplate(id) {
      const { rows } = await sql.query<TemplateRow>('SELECT * FROM templates WHERE id = $1', [id]);
      return rows[0] && toTemplate(rows[0]);
    },
    async getTemplateByAlias(alias, accountId) {
      const { rows } = await sql.query<TemplateRow>('SELECT * FROM templates WHERE alias = $1 AND account_id = $2', [
        alias,
        accountId,
      ]);
      return rows[0] && toTemplate(rows[0]);
    },
    async updateTemplate(id, patch) {
      const { rows: current } = await sql.query<TemplateRow>('SELECT * FROM templates WHERE id = $1', [id]);
      if (!current[0]) throw new AppError('NOT_FOUND', `no template ${id}`);
      await checkBridge(patch.bridgeId, current[0].account_id);
      const sets: string[] = [];
      const params: unknown[] = [id];
      for (const [key, column] of Object.entries(COLUMNS) as [keyof TemplatePatch, string][]) {
        if (patch[key] === undefined) continue;
        params.push(patch[key]);
        sets.push(`${column} = $${params.length}`);
      }
      try {
        const { rows } = await sql.query<TemplateRow>(
          `UPDATE templates SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE id = $1 RETURNING *`,
          params,
        );
        if (!rows[0]) throw new AppError('NOT_FOUND', `no template ${id}`);
        return toTemplate(rows[0]);
      } catch (err) {
        throw aliasTaken(err, patch.alias);
      }
    },
    async deleteTemplate(id) {
      const { rows } = await sql.query<TemplateRow>('DELETE FROM templates WHERE id = $1 RETURNING *', [id]);
      if (!rows[0]) throw new AppError('NOT_FOUND', `no template ${id}`);
      return toTemplate(rows[0]);
    },
  };
}
