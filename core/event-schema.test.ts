import { readFile } from 'node:fs/promises';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { withEventDocs } from './event-docs.js';
import {
  carries,
  EVENT_COLUMN_LIST,
  EVENT_COLUMNS,
  EVENT_MEANINGS,
  EVENT_TYPES,
  MAIL_EVENT_SCHEMA,
  type EventColumnType,
  type EventOf,
  type EventType,
  type MailEvent,
} from './event-schema.js';

const SAMPLE_VALUES: Record<EventColumnType, unknown> = {
  String: 'x',
  'LowCardinality(String)': 'y',
  UInt16: 7,
  UInt8: true,
  "DateTime64(3, 'UTC')": 1_700_000_000_000,
  'Map(String, String)': { k: 'v' },
};

/** An event of `kind` with every field of the schema set, carried or not. */
function everyField(kind: EventType): Record<string, unknown> {
  return Object.fromEntries(EVENT_COLUMN_LIST.map((c) => [c.field, c.field === 'type' ? kind : SAMPLE_VALUES[c.type]]));
}

describe('event schema', () => {
  it('gives every kind a meaning and every column a distinct name', () => {
    expect(Object.keys(EVENT_MEANINGS).sort()).toEqual([...EVENT_TYPES].sort());
    const columns = EVENT_COLUMN_LIST.map((c) => c.column);
    expect(new Set(columns).size).toBe(columns.length);
  });

  it('validates each kind with the fields it carries and drops the others', () => {
    for (const kind of EVENT_TYPES) {
      const parsed = MAIL_EVENT_SCHEMA.parse(everyField(kind));
      const kept = EVENT_COLUMN_LIST.filter((c) => carries(c, kind)).map((c) => c.field);
      expect(Object.keys(parsed).sort(), kind).toEqual(kept.sort());
    }
  });

  it('refuses an unknown kind, a missing common field and a value of the wrong type', () => {
    const ok = { id: 'ev_1', type: 'sent', ts: 1, messageId: 'm', bridgeId: 'b', poolId: 'p', recipient: 'r' };
    expect(MAIL_EVENT_SCHEMA.safeParse(ok).success).toBe(true);
    expect(MAIL_EVENT_SCHEMA.safeParse({ ...ok, type: 'exploded' }).success).toBe(false);
    expect(MAIL_EVENT_SCHEMA.safeParse({ ...ok, recipient: undefined }).success).toBe(false);
    expect(MAIL_EVENT_SCHEMA.safeParse({ ...ok, attempt: -1 }).success).toBe(false);
    expect(MAIL_EVENT_SCHEMA.safeParse({ ...ok, type: 'opened', machine: 1 }).success).toBe(false);
  });

  it('types each kind with the fields the table gives it', () => {
    expectTypeOf<keyof EventOf<'sent'>>().toEqualTypeOf<
      | 'id'
      | 'type'
      | 'ts'
      | 'messageId'
      | 'bridgeId'
      | 'poolId'
      | 'recipient'
      | 'ip'
      | 'attempt'
      | 'tag'
      | 'metadata'
      | 'sandbox'
    >();
    expectTypeOf<EventOf<'opened'>['metadata']>().toEqualTypeOf<Record<string, string> | undefined>();
    expectTypeOf<EventOf<'clicked'>['machine']>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf<EventOf<'bounced'>['replyCode']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<Extract<MailEvent, { type: 'complained' }>>().toEqualTypeOf<EventOf<'complained'>>();
    expect(EVENT_COLUMNS.feedbackType.kinds).toEqual(['complained']);
  });

  it('is what docs/analytics.md lists', async () => {
    const doc = await readFile(new URL('../docs/analytics.md', import.meta.url), 'utf8');
    expect(withEventDocs(doc), 'docs/analytics.md differs from the event schema: run `npm run docs:events`').toBe(doc);
  });
});
