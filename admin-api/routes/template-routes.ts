import { z } from 'zod';
import {
  AppError,
  compileTemplate,
  missingVariables,
  renderTemplate,
  TEMPLATE_ALIAS,
  TEMPLATE_LIMITS,
  validate,
  type Template,
  type Store,
} from '../../core/index.js';
import { jsonBody, recordChange, type AdminAppDeps, type AdminRoute } from '../admin-route.js';

const fields = {
  name: z.string().trim().min(1).max(TEMPLATE_LIMITS.nameChars),
  alias: z.string().regex(TEMPLATE_ALIAS, '1 to 64 of a-z, 0-9, - and _').describe('Unique; what sends name'),
  subject: z
    .string()
    .min(1)
    .max(TEMPLATE_LIMITS.subjectChars)
    .describe('Mustache; rendered unescaped, line breaks become spaces'),
  html: z
    .string()
    .max(TEMPLATE_LIMITS.bodyChars)
    .nullable()
    .describe('Mustache; `{{x}}` is HTML-escaped, `{{{x}}}` is not'),
  text: z.string().max(TEMPLATE_LIMITS.bodyChars).nullable().describe('Mustache; rendered unescaped'),
  bridgeId: z.string().min(1).max(64).nullable().describe('The only Bridge that may use it; null: every Bridge'),
};

/** Body of `POST /admin/v1/templates`. */
export const createTemplateSchema = z
  .object({
    ...fields,
    html: fields.html.optional(),
    text: fields.text.optional(),
    bridgeId: fields.bridgeId.optional(),
  })
  .strict();

/** Body of `PATCH /admin/v1/templates/:id`: the fields to change. */
export const updateTemplateSchema = z.object(fields).partial().strict();

const renderSchema = z
  .object({ model: z.record(z.string(), z.unknown()).default({}).describe('The values to render with') })
  .strict();

const view = z.object({
  id: z.string(),
  name: z.string(),
  alias: z.string(),
  subject: z.string(),
  html: z.string().nullable(),
  text: z.string().nullable(),
  bridgeId: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const toView = (t: Template) => ({ ...t, createdAt: t.createdAt.toISOString(), updatedAt: t.updatedAt.toISOString() });

const rendered = z.object({
  subject: z.string(),
  html: z.string().nullable(),
  text: z.string().nullable(),
  missing: z.array(z.string()).describe('Variables the model does not provide (`items.price`: inside section items)'),
});

/** Compiles every field and checks html or text is there; throws `TEMPLATE_INVALID` / `VALIDATION_FAILED`. */
function checkContent(content: { subject: string; html: string | null; text: string | null }): void {
  if (content.html === null && content.text === null)
    throw new AppError('VALIDATION_FAILED', 'html or text is required', { field: 'html' });
  compileTemplate(content);
}

/** Templates (Mustache): CRUD, and a preview that lists the variables a model leaves out. */
export function templateRoutes(deps: AdminAppDeps): AdminRoute[] {
  const base = { tag: 'templates', auth: 'admin' as const, access: 'account' as const };
  const auth = ['INVALID_CREDENTIALS', 'UNAUTHENTICATED'] as const;
  const find = async (store: Store, id: string) => {
    const t = await store.getTemplate(id);
    if (!t) throw new AppError('NOT_FOUND', `no template ${id}`);
    return t;
  };
  const changed = (actor: string, action: string, t: Template) =>
    recordChange(
      deps,
      actor,
      { action, targetType: 'template', targetId: t.id, details: { alias: t.alias, name: t.name } },
      { type: 'template-changed', templateId: t.id },
    );
  return [
    {
      ...base,
      method: 'post',
      path: '/admin/v1/templates',
      operationId: 'createTemplate',
      summary: 'Create a template; one that does not compile is refused with the field, line and column',
      description:
        'Sends name it by `templateAlias` (or `templateId`) with a `templateModel`; over SMTP with ' +
        '`X-Bridgemail-Template: <alias>` and `X-Bridgemail-Template-Model: <JSON object>`. A `TEMPLATE_INVALID` ' +
        'error carries `field`, `line` and `column`.',
      body: { schema: createTemplateSchema },
      responses: { 201: { description: 'Created', schema: view } },
      errors: [
        'VALIDATION_FAILED',
        'INVALID_JSON',
        'TEMPLATE_INVALID',
        'TEMPLATE_ALIAS_TAKEN',
        'BRIDGE_NOT_FOUND',
        ...auth,
      ],
      handler: async (ctx) => {
        const input = validate(createTemplateSchema, await jsonBody(ctx));
        const content = { subject: input.subject, html: input.html ?? null, text: input.text ?? null };
        checkContent(content);
        const t = await ctx.state.store.createTemplate({
          ...content,
          name: input.name,
          alias: input.alias,
          bridgeId: input.bridgeId ?? null,
        });
        await changed(ctx.state.actor, 'template.create', t);
        ctx.status = 201;
        ctx.body = toView(t);
      },
    },
    {
      ...base,
      method: 'get',
      path: '/admin/v1/templates',
      operationId: 'listTemplates',
      summary: 'Every template, by alias',
      responses: { 200: { description: 'The templates', schema: z.object({ data: z.array(view) }) } },
      errors: [...auth],
      handler: async (ctx) => {
        ctx.body = { data: (await ctx.state.store.listTemplates()).map(toView) };
      },
    },
    {
      ...base,
      method: 'get',
      path: '/admin/v1/templates/:id',
      operationId: 'getTemplate',
      summary: 'One template',
      responses: { 200: { description: 'The template', schema: view } },
      errors: ['NOT_FOUND', ...auth],
      handler: async (ctx) => {
        ctx.body = toView(await find(ctx.state.store, ctx.params.id ?? ''));
      },
    },
    {
      ...base,
      method: 'patch',
      path: '/admin/v1/templates/:id',
      operationId: 'updateTemplate',
      summary: 'Change a template; sends use the new version at once',
      body: { schema: updateTemplateSchema },
      responses: { 200: { description: 'The template', schema: view } },
      errors: [
        'VALIDATION_FAILED',
        'INVALID_JSON',
        'NOT_FOUND',
        'TEMPLATE_INVALID',
        'TEMPLATE_ALIAS_TAKEN',
        'BRIDGE_NOT_FOUND',
        ...auth,
      ],
      handler: async (ctx) => {
        const patch = validate(updateTemplateSchema, await jsonBody(ctx));
        const current = await find(ctx.state.store, ctx.params.id ?? '');
        checkContent({
          subject: patch.subject ?? current.subject,
          html: patch.html === undefined ? current.html : patch.html,
          text: patch.text === undefined ? current.text : patch.text,
        });
        const t = await ctx.state.store.updateTemplate(current.id, patch);
        await changed(ctx.state.actor, 'template.update', t);
        ctx.body = toView(t);
      },
    },
    {
      ...base,
      method: 'delete',
      path: '/admin/v1/templates/:id',
      operationId: 'deleteTemplate',
      summary: 'Delete a template; sends naming it are refused from then on (TEMPLATE_NOT_FOUND)',
      responses: { 200: { description: 'The deleted template', schema: view } },
      errors: ['NOT_FOUND', ...auth],
      handler: async (ctx) => {
        const t = await ctx.state.store.deleteTemplate(ctx.params.id ?? '');
        await changed(ctx.state.actor, 'template.delete', t);
        ctx.body = toView(t);
      },
    },
    {
      ...base,
      method: 'post',
      path: '/admin/v1/templates/:id/render',
      operationId: 'renderTemplate',
      summary: 'Preview a template with a model; lists the variables the model does not provide',
      body: { schema: renderSchema },
      responses: { 200: { description: 'The rendered fields', schema: rendered } },
      errors: ['VALIDATION_FAILED', 'INVALID_JSON', 'NOT_FOUND', ...auth],
      handler: async (ctx) => {
        const { model } = validate(renderSchema, await jsonBody(ctx));
        const t = await find(ctx.state.store, ctx.params.id ?? '');
        ctx.body = { ...renderTemplate(t, model), missing: missingVariables(t, model) };
      },
    },
  ];
}
