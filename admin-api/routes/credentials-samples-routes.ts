import { z } from 'zod';
import { AppError, validate, type BridgeWithSecrets, type Store } from '../../core/index.js';
import type { AdminAppDeps, AdminRoute } from '../admin-route.js';
import {
  renderCredentialsFile,
  renderSamples,
  REST_LANGUAGES,
  REST_VARIANTS,
  SMTP_LANGUAGES,
  SMTP_VARIANTS,
  type SampleTarget,
} from '../samples/index.js';

const formatQuery = z.object({ format: z.enum(['env', 'json', 'txt']).default('env') }).strict();

const sampleSchema = z.object({
  transport: z
    .enum(['rest', 'smtp'])
    .describe('`rest`: the send API with the API key; `smtp`: submission with the SMTP login'),
  language: z.enum([...REST_LANGUAGES, ...SMTP_LANGUAGES]),
  variant: z
    .enum([...REST_VARIANTS, ...SMTP_VARIANTS])
    .describe(
      'REST: `json`, or `attachment` (multipart/form-data with a file); SMTP: `starttls` (port 587) or `tls` (implicit TLS, 465)',
    ),
  title: z.string(),
  filename: z.string(),
  code: z.string().describe("Runs verbatim: filled with this Bridge's real endpoint, key and SMTP login"),
});

/** What each Bridge hands its app: the credentials file and runnable code samples. */
export function credentialsSamplesRoutes(deps: AdminAppDeps): AdminRoute[] {
  const target = async (store: Store, id: string): Promise<{ bridge: BridgeWithSecrets; target: SampleTarget }> => {
    // A deleted Bridge answers BRIDGE_DELETED: its secrets are not opened again.
    const bridge = await store.getBridgeWithSecrets(id);
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
  const base = { tag: 'bridges', auth: 'admin' as const, access: 'account' as const };
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
        const { bridge, target: t } = await target(ctx.state.store, ctx.params.id ?? '');
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
      summary:
        'Code samples sending one message: REST (cURL, PHP, Node, Python, Bash; with and without an attachment) and SMTP (PHPMailer, Nodemailer, smtplib, swaks; STARTTLS and implicit TLS)',
      responses: { 200: { description: 'The samples', schema: z.object({ data: z.array(sampleSchema) }) } },
      errors: ['NOT_FOUND', 'BRIDGE_DELETED', 'INVALID_CREDENTIALS', 'UNAUTHENTICATED'],
      handler: async (ctx) => {
        const { target: t } = await target(ctx.state.store, ctx.params.id ?? '');
        ctx.set('Cache-Control', 'no-store');
        ctx.body = { data: renderSamples(t) };
      },
    },
  ];
}
