import { z } from 'zod';

/**
 * Every kind of event, in lifecycle order: the order in which they can happen to one recipient,
 * so that events of a message stamped in the same millisecond (by different threads) sort right.
 */
export const EVENT_TYPES = [
  'queued',
  'scheduled',
  'cancelled',
  'suppressed',
  'sent',
  'deferred',
  'delivered',
  'bounced',
  'opened',
  'clicked',
  'complained',
  'unsubscribed',
] as const;

/** One of {@link EVENT_TYPES}. */
export type EventType = (typeof EVENT_TYPES)[number];

/** What each kind of event says, one line (docs, console, admin API). */
export const EVENT_MEANINGS: Readonly<Record<EventType, string>> = {
  queued: 'Accepted and in its Pool queue; one per recipient',
  scheduled: 'Accepted with a later send time (`sendAt`): waits in its Pool queue until then',
  cancelled:
    'A scheduled message not sent: cancelled by the API (`api`), its Bridge deleted (`bridge-deleted`) or the credential it came with revoked (`credential-revoked`)',
  suppressed: 'Not sent: the recipient is on a suppression list',
  sent: 'Taken up from a Pool IP for the first time (once, whatever retries follow)',
  deferred: 'A temporary failure (4xx, connection, no usable IP, or a delayed DSN); retried later',
  delivered: 'The recipient MX accepted the message (2xx)',
  bounced: 'Finally failed: 5xx, expired, undeliverable, or a DSN received later',
  opened: 'The tracking pixel was loaded (by a person or a machine)',
  clicked: 'A tracked link was followed (by a person or a link scanner)',
  complained: 'The recipient reported the message as spam (ARF feedback report)',
  unsubscribed:
    'The recipient unsubscribed through the List-Unsubscribe header (`one-click` POST or `mailto`): ' +
    'suppressed for the Bridge',
};

/** ClickHouse type of an event column; `UInt8` holds a flag (false 0, true 1). */
export type EventColumnType =
  'String' | 'LowCardinality(String)' | 'UInt16' | 'UInt8' | "DateTime64(3, 'UTC')" | 'Map(String, String)';

/** One column of the `events` table and the event field it stores. */
export interface EventColumn {
  /** Column name in ClickHouse. */
  readonly column: string;
  readonly type: EventColumnType;
  /** Kinds that carry the field (optional in each); `all`: every event has it. */
  readonly kinds: 'all' | readonly EventType[];
  /** One line for the docs and the admin API. */
  readonly meaning: string;
}

const ATTEMPTS = ['deferred', 'delivered', 'bounced'] as const;
const TRACKING = ['opened', 'clicked'] as const;

/**
 * The event schema: every field of an event, keyed by its name in TypeScript and JSON, in the order
 * of the `events` table's columns. The event types, the stream validation, the ClickHouse DDL and
 * row mapping, the timeline and the docs all come from it. A new field is one entry here (and, once
 * there are installations, its migration).
 */
export const EVENT_COLUMNS = {
  id: { column: 'event_id', type: 'String', kinds: 'all', meaning: 'Unique per event; the writer deduplicates on it' },
  type: { column: 'type', type: 'LowCardinality(String)', kinds: 'all', meaning: 'Kind of event (see the kinds)' },
  ts: { column: 'ts', type: "DateTime64(3, 'UTC')", kinds: 'all', meaning: 'When it happened (ms since the epoch)' },
  messageId: { column: 'message_id', type: 'String', kinds: 'all', meaning: 'Our message id' },
  bridgeId: { column: 'bridge_id', type: 'LowCardinality(String)', kinds: 'all', meaning: 'The Bridge (sending app)' },
  poolId: { column: 'pool_id', type: 'LowCardinality(String)', kinds: 'all', meaning: 'The Pool of the Bridge' },
  recipient: { column: 'recipient', type: 'String', kinds: 'all', meaning: 'Envelope recipient' },
  ip: {
    column: 'ip',
    type: 'LowCardinality(String)',
    kinds: ['sent', ...ATTEMPTS],
    meaning: 'Pool IP of the attempt (none for reports)',
  },
  mx: { column: 'mx', type: 'String', kinds: ATTEMPTS, meaning: 'Remote MX host the attempt talked to' },
  replyCode: { column: 'reply_code', type: 'UInt16', kinds: ATTEMPTS, meaning: 'SMTP reply code, when there was one' },
  reply: {
    column: 'reply',
    type: 'String',
    kinds: ['suppressed', ...ATTEMPTS],
    meaning: 'SMTP reply text, or the local reason in words',
  },
  reason: {
    column: 'reason',
    type: 'LowCardinality(String)',
    kinds: ['suppressed', 'cancelled', ...ATTEMPTS, ...TRACKING, 'complained', 'unsubscribed'],
    meaning:
      'Classified reason (`expired`, `connection`, `user-unknown` …; for opens and clicks, why a machine; ' +
      'why cancelled; how unsubscribed)',
  },
  attempt: {
    column: 'attempt',
    type: 'UInt16',
    kinds: ['suppressed', 'sent', ...ATTEMPTS],
    meaning: 'Delivery attempt number, from 1',
  },
  hard: {
    column: 'hard',
    type: 'UInt8',
    kinds: ['deferred', 'bounced'],
    meaning: 'The address itself is bad (the narrow, Sisimai definition); soft otherwise',
  },
  status: {
    column: 'status',
    type: 'LowCardinality(String)',
    kinds: ['deferred', 'bounced'],
    meaning: 'Enhanced status code (RFC 3463), e.g. `5.1.1`',
  },
  feedbackType: {
    column: 'feedback_type',
    type: 'LowCardinality(String)',
    kinds: ['complained'],
    meaning: 'ARF feedback type (`abuse`, `opt-out` …)',
  },
  url: { column: 'url', type: 'String', kinds: ['clicked'], meaning: 'The clicked URL' },
  sendAt: {
    column: 'send_at',
    type: "DateTime64(3, 'UTC')",
    kinds: ['scheduled'],
    meaning: 'When a scheduled message is due (ms since the epoch)',
  },
  userAgent: { column: 'user_agent', type: 'String', kinds: TRACKING, meaning: 'User agent of the open or click' },
  clientIp: { column: 'client_ip', type: 'String', kinds: TRACKING, meaning: 'Address the open or click came from' },
  machine: {
    column: 'machine',
    type: 'UInt8',
    kinds: TRACKING,
    meaning: 'A machine opened or clicked (mail privacy proxy, image prefetch, link scanner)',
  },
  tag: {
    column: 'tag',
    type: 'LowCardinality(String)',
    kinds: EVENT_TYPES,
    meaning: "The message's tag (REST `tag`, SMTP `X-Bridgemail-Tag`); empty when it has none",
  },
  metadata: {
    column: 'metadata',
    type: 'Map(String, String)',
    kinds: EVENT_TYPES,
    meaning: "The message's metadata (REST `metadata`, SMTP `X-Bridgemail-Metadata-<key>`)",
  },
  sandbox: {
    column: 'sandbox',
    type: 'UInt8',
    kinds: EVENT_TYPES,
    meaning:
      'A sandbox send: a sandbox Bridge, or a simulator address (`…@simulator.bridgemail.test`); never in live stats',
  },
} as const satisfies Record<string, EventColumn>;

/** A field of an event: a key of {@link EVENT_COLUMNS}. */
export type EventField = keyof typeof EVENT_COLUMNS;

/** Columns the writer computes from an event's fields rather than reading one of them. */
export const DERIVED_EVENT_COLUMNS = {
  recipient_domain: {
    type: 'LowCardinality(String)',
    meaning: 'Domain of the recipient, lower case',
    derive: (e: { recipient: string }): string =>
      e.recipient.includes('@') ? e.recipient.slice(e.recipient.lastIndexOf('@') + 1).toLowerCase() : '',
  },
} as const satisfies Record<
  string,
  Omit<EventColumn, 'column' | 'kinds'> & { derive: (e: { recipient: string }) => string }
>;

type Spec<F extends EventField> = (typeof EVENT_COLUMNS)[F];
type ValueOf<T extends EventColumnType> = T extends 'UInt16' | "DateTime64(3, 'UTC')"
  ? number
  : T extends 'UInt8'
    ? boolean
    : T extends 'Map(String, String)'
      ? Record<string, string>
      : string;
/** The value type of field F in TypeScript (a `UInt8` flag is a boolean). */
export type EventFieldValue<F extends EventField> = ValueOf<Spec<F>['type']>;
/** Fields every event has. */
type CommonField = { [F in EventField]: Spec<F>['kinds'] extends 'all' ? F : never }[EventField];
/** Fields kind K may carry. */
type KindField<K extends EventType> = {
  [F in EventField]: Spec<F>['kinds'] extends readonly (infer T)[] ? (K extends T ? F : never) : never;
}[EventField];

/**
 * The event of kind K: the common fields, `type` K and the optional fields K carries. For a union K
 * (code building several kinds at once, like a delivery attempt's outcome): the fields any of them carries.
 */
export type EventOf<K extends EventType> = { type: K } & {
  [F in Exclude<CommonField, 'type'>]: EventFieldValue<F>;
} & { [F in KindField<K>]?: EventFieldValue<F> };

/** A state change of a message for one recipient: one of the kinds, discriminated by `type`. */
export type MailEvent = { [K in EventType]: EventOf<K> }[EventType];

/** An event of kind K before it gets its id and timestamp. */
export type NewEventOf<K extends EventType> = Omit<EventOf<K>, 'id' | 'ts'> & { ts?: number };

/** Fields of an event before it gets its id and timestamp (any kind). */
export type NewMailEvent = { [K in EventType]: NewEventOf<K> }[EventType];

/** What validates a value of each column type in an event read back from the stream. */
const VALUE_SCHEMAS: Record<EventColumnType, z.ZodType> = {
  String: z.string(),
  'LowCardinality(String)': z.string(),
  UInt16: z.number().int().min(0).max(65_535),
  UInt8: z.boolean(),
  "DateTime64(3, 'UTC')": z.number().int(),
  'Map(String, String)': z.record(z.string(), z.string()),
};

/** The fields of the schema with their specs, in column order. */
export const EVENT_COLUMN_LIST: readonly (EventColumn & { field: EventField })[] = Object.entries(EVENT_COLUMNS).map(
  ([field, spec]) => ({ ...spec, field: field as EventField }),
);

/** Whether events of `kind` carry the field of `spec`. */
export function carries(spec: EventColumn, kind: EventType): boolean {
  return spec.kinds === 'all' || spec.kinds.includes(kind);
}

function kindSchema(kind: EventType) {
  const shape: Record<string, z.ZodType> = {};
  for (const spec of EVENT_COLUMN_LIST) {
    if (spec.field === 'type') shape.type = z.literal(kind);
    else if (spec.kinds === 'all') shape[spec.field] = VALUE_SCHEMAS[spec.type];
    else if (carries(spec, kind)) shape[spec.field] = VALUE_SCHEMAS[spec.type].optional();
  }
  // Unknown keys are dropped, not refused: an event from a newer producer still gets written.
  return z.object(shape);
}

const [firstKind, ...otherKinds] = EVENT_TYPES;

/**
 * Validates an event read back from the stream. Built from {@link EVENT_COLUMNS} at run time, so its
 * static type is asserted; `event-schema.test.ts` holds the two equal.
 */
export const MAIL_EVENT_SCHEMA = z.discriminatedUnion('type', [
  kindSchema(firstKind),
  ...otherKinds.map(kindSchema),
]) as unknown as z.ZodType<MailEvent>;
