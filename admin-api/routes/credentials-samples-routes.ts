import { z } from 'zod';
import { AppError, validate, type BridgeWithSecrets } from '../../core/index.js';
import type { AdminAppDeps, AdminRoute } from '../admin-route.js';
import { renderCredentialsFile, renderSamples, type SampleTarget } from '../samples/index.js';

const formatQuery = z.object({ format: z.enum(['env', 'json', 'txt']).default('env') }).strict();

const sampleSchema = z.object({
  language: z.enum(['curl', 'php', 'node', 'python', 'bash']),
  variant: z.enum(['json', 'attachment']).describe('`attachment` sends multipart/form-data with a file'),
  title: z.string(),
  filename: z.string(),
  code: z.string().describe("Runs verbatim: filled with this Bridge's real endpoint and key"),
});

/** What each Bridge hands its app: the credentials file and runnable code samples. */
export function credentialsSamplesRoutes(deps: AdminAppDeps): AdminRoute[] {
  const target = async (id: string): Promise<{ bridge: BridgeWithSecrets; target: SampleTarget }> => {
    // A deleted Bridge answers BRIDGE_DELETED: its secrets are not opened again.
    const bridge = await deps.store.getBridgeWithSecrets(id);
    if (!bridge) throw new AppError('NOT_FOUND', 'no such bridge');
    const e = deps.endpoints();
    return {
      bridge,
      target: {
        apiUrl: e.apiUrl,
        apiKey: bridge.secrets.apiKey,
        smtpHost: e.host,
        smtpPort: e.smtpPort,
        smtpsPort: e.smtpsPort,
        username: bridge.smtpUsername,
        password: bridge.secrets.smtpPassword,
      },
    };
  };
  const base = { tag: 'bridges', auth: 'admin' as const };
  return [
    {
      ...base,
      method: 'get',
      path: '/admin/v1/bridges/:id/credentials-file',
      operationId: 'downloadBridgeCredentials',
      summary: "Download a Bridge's credentials (host, ports, encryption, username, password, API key, send endpoint)",
      query: formatQuery,
      responses: {
        200: {
          description: 'The file, as an attachment',
          contentType: 'text/plain',
          headers: { 'Content-Disposition': 'attachment; filename="bridgemail-<name>.<format>"' },
        },
      },
      errors: ['VALIDATION_FAILED', 'NOT_FOUND', 'BRIDGE_DELETED', 'INVALID_CREDENTIALS', 'UNAUTHENTICATED'],
      handler: async (ctx) => {
        const { format } = validate(formatQuery, ctx.query);
        const { bridge, target: t } = await target(ctx.params.id ?? '');
        const file = renderCredentialsFile({ ...t, bridgeId: bridge.id, bridgeName: bridge.name }, format);
        ctx.set('Content-Disposition', `attachment; filename="${file.filename}"`);
        ctx.set('Cache-Control', 'no-store');
        ctx.type = file.contentType;
        ctx.body = file.body;
      },
    },
    {
      ...base,
      method: 'get',
      path: '/admin/v1/bridges/:id/samples',
      operationId: 'getBridgeSamples',
      summary: 'Code samples (cURL, PHP, Node, Python, Bash) sending one message, with and without an attachment',
      responses: { 200: { description: 'The samples', schema: z.object({ data: z.array(sampleSchema) }) } },
      errors: ['NOT_FOUND', 'BRIDGE_DELETED', 'INVALID_CREDENTIALS', 'UNAUTHENTICATED'],
      handler: async (ctx) => {
        const { target: t } = await target(ctx.params.id ?? '');
        ctx.set('Cache-Control', 'no-store');
        ctx.body = { data: renderSamples(t) };
      },
    },
  ];
}
