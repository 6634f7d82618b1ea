import { z } from 'zod';
import { AppError, isAppError, readBody, validate, type Suppression } from '../../core/index.js';
import { jsonBody, recordChange, type AdminAppDeps, type AdminRoute } from '../admin-route.js';

const email = z
  .email()
  .max(320)
  .transform((a) => a.toLowerCase());
const reason = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9_.-]+$/i, 'letters, digits, _ . -');

const createSchema = z
  .object({
    address: email,
    bridgeId: z.string().min(1).max(100).nullable().default(null).describe('null: every Bridge of the account'),
    reason: reason.default('manual'),
    accountId: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .describe(
        "Operator token, without `bridgeId`: the account (default: the default account); a Bridge's entry is its account's",
      ),
  })
  .strict();

const listQuery = z
  .object({
    bridgeId: z.string().max(100).optional(),
    reason: reason.optional(),
    since: z.iso.datetime({ offset: true }).optional(),
    until: z.iso.datetime({ offset: true }).optional(),
    search: z.string().max(320).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    before: z.string().max(100).optional(),
  })
  .strict();

const view = z.object({
  id: z.string(),
  accountId: z.string(),
  bridgeId: z.string().nullable().describe('null: every Bridge of the account (scope `account`)'),
  address: z.string(),
  reason: z.string(),
  sourceMessageId: z.string().nullable(),
  createdAt: z.string(),
});
const toView = (s: Suppression) => ({ ...s, createdAt: s.createdAt.toISOString() });

const CSV_LIMIT = 10 * 1024 * 1024;
type Column = 'address' | 'reason' | 'bridge_id';
/** The CSV column of each field of {@link createSchema}, to name it in an import's line errors. */
const COLUMNS: Record<string, Column | undefined> = { address: 'address', reason: 'reason', bridgeId: 'bridge_id' };
const CSV_HEADER = 'address,reason,bridge_id,source_message_id,created_at';

function csvCell(value: string | null): string {
  const v = value ?? '';
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

function parseCsvLine(line: string): string[] {
  const cells: string[] = [];
  const re = /\s*(?:"((?:[^"]|"")*)"|([^,]*))\s*(,|$)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line)) !== null) {
    cells.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : (m[2] ?? '').trim());
    if (m[3] === '' || m.index === re.lastIndex) break;
  }
  return cells;
}

/** The suppression list: hard bounces and complaints land here; operators list, add, remove, import, export. */
export function suppressionRoutes(deps: AdminAppDeps): AdminRoute[] {
  const base = { tag: 'suppressions', auth: 'admin' as const, access: 'account' as const };
  const auth = ['INVALID_CREDENTIALS', 'UNAUTHENTICATED'] as const;
  const changed = (actor: string, action: string, s: { id: string; address: string; bridgeId: string | null }) =>
    recordChange(
      deps,
      actor,
      {
        action,
        targetType: 'settings',
        targetId: 'suppressions',
        details: { id: s.id, address: s.address, bridgeId: s.bridgeId },
      },
      { type: 'suppression-changed', bridgeId: s.bridgeId },
    );
  return [
    {
      ...base,
      method: 'get',
      path: '/admin/v1/suppressions',
      operationId: 'listSuppressions',
      summary: 'List suppressions, newest first, filtered by Bridge, reason, date or address',
      query: listQuery,
      responses: {
        200: {
          description: 'One page; pass the last id as `before` for the next',
          schema: z.object({ data: z.array(view), next: z.string().nullable() }),
        },
      },
      errors: ['VALIDATION_FAILED', ...auth],
      handler: async (ctx) => {
        const { since, until, ...q } = validate(listQuery, ctx.query);
        const rows = await ctx.state.store.listSuppressions({
          ...q,
          ...(since ? { since: new Date(since) } : {}),
          ...(until ? { until: new Date(until) } : {}),
        });
        const last = rows[rows.length - 1];
        ctx.body = { data: rows.map(toView), next: rows.length === q.limit && last ? last.id : null };
      },
    },
    {
      ...base,
      method: 'post',
      path: '/admin/v1/suppressions',
      operationId: 'addSuppression',
      summary: 'Suppress an address for one Bridge or for every Bridge',
      body: { schema: createSchema },
      responses: { 201: { description: 'Suppressed (or already was)', schema: z.object({ created: z.boolean() }) } },
      errors: ['VALIDATION_FAILED', 'INVALID_JSON', 'BRIDGE_NOT_FOUND', ...auth],
      handler: async (ctx) => {
        const input = validate(createSchema, await jsonBody(ctx));
        const created = await ctx.state.store.addSuppression(input);
        await changed(ctx.state.actor, 'suppression.add', { id: '', ...input });
        ctx.status = 201;
        ctx.body = { created };
      },
    },
    {
      ...base,
      method: 'delete',
      path: '/admin/v1/suppressions/:id',
      operationId: 'removeSuppression',
      summary: 'Remove a suppression: the address may be sent to again',
      responses: { 200: { description: 'The removed suppression', schema: view } },
      errors: ['NOT_FOUND', ...auth],
      handler: async (ctx) => {
        const removed = await ctx.state.store.removeSuppression(ctx.params.id ?? '');
        await changed(ctx.state.actor, 'suppression.remove', removed);
        ctx.body = toView(removed);
      },
    },
    {
      ...base,
      method: 'get',
      path: '/admin/v1/suppressions/export',
      operationId: 'exportSuppressions',
      summary: `Every suppression as CSV (${CSV_HEADER})`,
      responses: { 200: { description: 'CSV, as an attachment', contentType: 'text/csv' } },
      errors: [...auth],
      handler: async (ctx) => {
        const lines = [CSV_HEADER];
        for (let before: string | undefined; ;) {
          const page = await ctx.state.store.listSuppressions({ limit: 1000, ...(before ? { before } : {}) });
          for (const s of page)
            lines.push(
              [s.address, s.reason, s.bridgeId, s.sourceMessageId, s.createdAt.toISOString()].map(csvCell).join(','),
            );
          if (page.length < 1000) break;
          before = page[page.length - 1]?.id;
        }
        ctx.set('Content-Disposition', 'attachment; filename="bridgemail-suppressions.csv"');
        ctx.type = 'text/csv';
        ctx.body = `${lines.join('\r\n')}\r\n`;
      },
    },
    {
      ...base,
      method: 'post',
      path: '/admin/v1/suppressions/import',
      operationId: 'importSuppressions',
      summary:
        'Import suppressions from CSV (address[,reason[,bridge_id]]; a header row is skipped); bad lines (an invalid address, an unknown bridge_id) are reported by number, good ones kept',
      body: { schema: z.string().describe('CSV text'), contentTypes: ['text/csv'] },
      responses: {
        200: {
          description: 'What was imported',
          schema: z.object({
            imported: z.number(),
            existing: z.number(),
            errors: z.array(
              z.object({
                line: z.number().describe('1-based line number in the CSV'),
                field: z.enum(['address', 'reason', 'bridge_id']).optional().describe('The column at fault'),
                message: z.string(),
              }),
            ),
          }),
        },
      },
      errors: ['UNSUPPORTED_MEDIA_TYPE', 'MESSAGE_TOO_LARGE', ...auth],
      handler: async (ctx) => {
        if (!ctx.is('text/csv', 'text/plain')) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'send text/csv');
        const text = (await readBody(ctx.req, CSV_LIMIT)).toString('utf8');
        const result = { imported: 0, existing: 0, errors: [] as { line: number; field?: Column; message: string }[] };
        for (const [i, raw] of text.split(/\r?\n/).entries()) {
          if (raw.trim() === '' || (i === 0 && /^\s*"?address"?\s*(,|$)/i.test(raw))) continue;
          const [address = '', why = 'imported', bridgeId = ''] = parseCsvLine(raw);
          const parsed = createSchema.safeParse({ address, reason: why || 'imported', bridgeId: bridgeId || null });
          if (!parsed.success) {
            const issue = parsed.error.issues[0];
            const column = COLUMNS[String(issue?.path[0])];
            result.errors.push({
              line: i + 1,
              ...(column ? { field: column } : {}),
              message: issue?.message ?? 'invalid line',
            });
            continue;
          }
          try {
            if (await ctx.state.store.addSuppression(parsed.data)) result.imported++;
            else result.existing++;
          } catch (err) {
            // An unknown Bridge id fails its line alone, named like the API names it.
            if (!isAppError(err) || err.code !== 'BRIDGE_NOT_FOUND') throw err;
            result.errors.push({ line: i + 1, field: 'bridge_id', message: err.message });
          }
        }
        if (result.imported > 0)
          await changed(ctx.state.actor, 'suppression.import', {
            id: '',
            address: `${result.imported} addresses`,
            bridgeId: null,
          });
        ctx.body = result;
      },
    },
  ];
}
