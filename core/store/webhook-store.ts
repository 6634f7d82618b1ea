import { AppError } from '../errors.js';
import { EVENT_TYPES, type EventType } from '../event-schema.js';
import { newId, randomSecret } from '../ids.js';
import type { SecretBox } from '../secret-box.js';
import type { SqlClient } from './sql.js';

/** A Bridge's webhook: where its events of the chosen types are POSTed. */
export interface Webhook {
  id: string;
  bridgeId: string;
  url: string;
  eventTypes: EventType[];
  /** Names the current signing secret; sent as `Bridgemail-Key-Id` with every delivery. */
  keyId: string;
  active: boolean;
  createdAt: Date;
}

/** A webhook with its signing secret in the clear, for the dispatcher only. */
export interface WebhookTarget extends Webhook {
  secret: string;
}

/** A webhook just created or rotated, with the secret shown this once. */
export interface WebhookWithSecret {
  webhook: Webhook;
  secret: string;
}

/** One delivery attempt of one event to one webhook. */
export interface WebhookAttempt {
  id: string;
  webhookId: string;
  eventId: string;
  /** 1 for the first try. */
  attempt: number;
  /** HTTP status the receiver answered; null when no answer came (refused, timeout, network). */
  statusCode: number | null;
  error: string | null;
  at: Date;
  delivered: boolean;
}

/** Input of {@link WebhookStore.recordAttempt}. */
export type NewWebhookAttempt = Omit<WebhookAttempt, 'id' | 'at'>;

/** Webhooks per Bridge (secrets sealed at rest) and their delivery attempts. */
export interface WebhookStore {
  /** Creates an active webhook with a fresh secret, returned this once. */
  createWebhook(input: { bridgeId: string; url: string; eventTypes: EventType[] }): Promise<WebhookWithSecret>;
  listWebhooks(bridgeId: string): Promise<Webhook[]>;
  getWebhook(id: string): Promise<Webhook | undefined>;
  /** The webhook with its secret opened, for signing deliveries. */
  getWebhookTarget(id: string): Promise<WebhookTarget | undefined>;
  /** Active webhooks of a Bridge subscribed to an event type. */
  webhooksFor(bridgeId: string, eventType: EventType): Promise<Webhook[]>;
  /** Whether any Bridge has an active webhook (while none has, events need no matching). */
  hasActiveWebhooks(): Promise<boolean>;
  /** Deletes a webhook and its attempts. */
  deleteWebhook(id: string): Promise<Webhook>;
  /**
   * A new key id and secret; the previous secret stops being used at once (every later
   * delivery, retries included, is signed with the new one). Receivers pick the secret by
   * `Bridgemail-Key-Id`, so keeping both for a while makes the switch seamless.
   */
  rotateWebhookSecret(id: string): Promise<WebhookWithSecret>;
  recordAttempt(input: NewWebhookAttempt): Promise<WebhookAttempt>;
  /** The latest attempts of a webhook, newest first. @defaultValue limit 50 */
  listAttempts(webhookId: string, limit?: number): Promise<WebhookAttempt[]>;
}

interface WebhookRow {
  id: string;
  bridge_id: string;
  url: string;
  event_types: string[];
  secret_enc: string;
  key_id: string;
  active: boolean;
  created_at: Date;
}

interface AttemptRow {
  id: string;
  webhook_id: string;
  event_id: string;
  attempt: number;
  status_code: number | null;
  error: string | null;
  at: Date;
  delivered: boolean;
}

const isEventType = (t: string): t is EventType => (EVENT_TYPES as readonly string[]).includes(t);

const toWebhook = (r: WebhookRow): Webhook => ({
  id: r.id,
  bridgeId: r.bridge_id,
  url: r.url,
  eventTypes: r.event_types.filter(isEventType),
  keyId: r.key_id,
  active: r.active,
  createdAt: r.created_at,
});

const toAttempt = (r: AttemptRow): WebhookAttempt => ({
  id: r.id,
  webhookId: r.webhook_id,
  eventId: r.event_id,
  attempt: r.attempt,
  statusCode: r.status_code,
  error: r.error,
  at: r.at,
  delivered: r.delivered,
});

/** A new signing secret: `whsec_` and 32 random bytes, base64url. */
const newSecret = (): string => `whsec_${randomSecret(32)}`;

/** Longest error text kept per attempt. */
const MAX_ERROR_CHARS = 500;

function checkEventTypes(types: readonly string[]): EventType[] {
  const unique = [...new Set(types)];
  if (unique.length === 0)
    throw new AppError('VALIDATION_FAILED', 'name at least one event type', { field: 'eventTypes' });
  const unknown = unique.find((t) => !isEventType(t));
  if (unknown !== undefined)
    throw new AppError('VALIDATION_FAILED', `unknown event type ${unknown}`, { field: 'eventTypes' });
  return unique.filter(isEventType);
}

/** Creates the webhook half of the store. */
export function createWebhookStore(sql: SqlClient, box: SecretBox): WebhookStore {
  const one = async (text: string, params: unknown[], id: string): Promise<WebhookRow> => {
    const { rows } = await sql.query<WebhookRow>(text, params);
    if (!rows[0]) throw new AppError('NOT_FOUND', `no webhook ${id}`);
    return rows[0];
  };
  return {
    async createWebhook(input) {
      const secret = newSecret();
      try {
        const { rows } = await sql.query<WebhookRow>(
          `INSERT INTO webhooks (id, bridge_id, url, event_types, secret_enc, key_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
          [newId('wh'), input.bridgeId, input.url, checkEventTypes(input.eventTypes), box.seal(secret), newId('whk')],
        );
        if (!rows[0]) throw new Error('insert returned no row');
        return { webhook: toWebhook(rows[0]), secret };
      } catch (err) {
        if ((err as { code?: unknown }).code === '23503') {
          throw new AppError('NOT_FOUND', `no Bridge ${input.bridgeId}`, { cause: err });
        }
        throw err;
      }
    },
    async hasActiveWebhooks() {
      const { rows } = await sql.query<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM webhooks WHERE active) AS any');
      return rows[0]?.any === true;
    },
    async listWebhooks(bridgeId) {
      const { rows } = await sql.query<WebhookRow>(
        'SELECT * FROM webhooks WHERE bridge_id = $1 ORDER BY created_at, id',
        [bridgeId],
      );
      return rows.map(toWebhook);
    },
    async getWebhook(id) {
      const { rows } = await sql.query<WebhookRow>('SELECT * FROM webhooks WHERE id = $1', [id]);
      return rows[0] && toWebhook(rows[0]);
    },
    async getWebhookTarget(id) {
      const { rows } = await sql.query<WebhookRow>('SELECT * FROM webhooks WHERE id = $1', [id]);
      const r = rows[0];
      return r && { ...toWebhook(r), secret: box.open(r.secret_enc) };
    },
    async webhooksFor(bridgeId, eventType) {
      const { rows } = await sql.query<WebhookRow>(
        'SELECT * FROM webhooks WHERE bridge_id = $1 AND active AND $2 = ANY(event_types) ORDER BY id',
        [bridgeId, eventType],
      );
      return rows.map(toWebhook);
    },
    async deleteWebhook(id) {
      return toWebhook(await one('DELETE FROM webhooks WHERE id = $1 RETURNING *', [id], id));
    },
    async rotateWebhookSecret(id) {
      const secret = newSecret();
      const row = await one(
        'UPDATE webhooks SET secret_enc = $2, key_id = $3 WHERE id = $1 RETURNING *',
        [id, box.seal(secret), newId('whk')],
        id,
      );
      return { webhook: toWebhook(row), secret };
    },
    async recordAttempt(input) {
      const { rows } = await sql.query<AttemptRow>(
        `INSERT INTO webhook_attempts (id, webhook_id, event_id, attempt, status_code, error, delivered)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
        [
          newId('wha'),
          input.webhookId,
          input.eventId,
          input.attempt,
          input.statusCode,
          input.error?.slice(0, MAX_ERROR_CHARS) ?? null,
          input.delivered,
        ],
      );
      if (!rows[0]) throw new Error('insert returned no row');
      return toAttempt(rows[0]);
    },
    async listAttempts(webhookId, limit = 50) {
      const { rows } = await sql.query<AttemptRow>(
        'SELECT * FROM webhook_attempts WHERE webhook_id = $1 ORDER BY at DESC, id DESC LIMIT $2',
        [webhookId, Math.max(1, Math.min(limit, 1000))],
      );
      return rows.map(toAttempt);
    },
  };
}
