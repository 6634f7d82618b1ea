import { AppError } from './errors.js';
import type { EventType, MailEvent } from './event-schema.js';

/**
 * A message's tag and metadata: set by the sender (REST `tag` / `metadata`, SMTP `X-Bridgemail-Tag` /
 * `X-Bridgemail-Metadata-<key>` or Postmark's `X-PM-Tag` / `X-PM-Metadata-<key>`), carried by every
 * event of the message, counted per tag in the stats.
 */
export interface MessageLabels {
  tag?: string;
  metadata?: Record<string, string>;
}

/** Limits on a tag and on metadata. */
export const LABEL_LIMITS = {
  tagChars: 64,
  metadataKeys: 20,
  metadataKeyChars: 40,
  metadataValueChars: 1000,
  /** UTF-8 bytes of every key and value together. */
  metadataBytes: 8192,
} as const;

/** What a tag may be: 1 to 64 characters of `[A-Za-z0-9._-]`. */
export const TAG_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** What a metadata key may be: 1 to 40 printable ASCII characters without `:` (a header name's tail). */
export const METADATA_KEY_PATTERN = /^[!-9;-~]{1,40}$/;

/** Why `tag` is not a valid tag, or undefined when it is. */
export function tagProblem(tag: string): string | undefined {
  return TAG_PATTERN.test(tag) ? undefined : `1 to ${LABEL_LIMITS.tagChars} characters of A-Z a-z 0-9 . _ -`;
}

/** The first problem of a metadata object: the key at fault (undefined: the whole object) and why. */
export function metadataProblem(metadata: Record<string, string>): { key?: string; message: string } | undefined {
  const entries = Object.entries(metadata);
  if (entries.length > LABEL_LIMITS.metadataKeys) return { message: `at most ${LABEL_LIMITS.metadataKeys} keys` };
  let bytes = 0;
  for (const [key, value] of entries) {
    if (!METADATA_KEY_PATTERN.test(key))
      return {
        key,
        message: `keys are 1 to ${LABEL_LIMITS.metadataKeyChars} printable ASCII characters without ":" or spaces`,
      };
    if (typeof value !== 'string') return { key, message: 'values are strings' };
    if (value.length > LABEL_LIMITS.metadataValueChars)
      return { key, message: `values are at most ${LABEL_LIMITS.metadataValueChars} characters` };
    bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (bytes > LABEL_LIMITS.metadataBytes)
    return { message: `keys and values are at most ${LABEL_LIMITS.metadataBytes} bytes in all` };
  return undefined;
}

/** Header fields that set the tag, ours first. */
export const TAG_HEADERS = ['x-bridgemail-tag', 'x-pm-tag'] as const;

/** Prefixes of the header fields that set one metadata key each, ours first. */
export const METADATA_HEADER_PREFIXES = ['x-bridgemail-metadata-', 'x-pm-metadata-'] as const;

/** A header value as the sender wrote it: the header block is read as latin1, its bytes are UTF-8. */
const utf8 = (latin1: string): string => Buffer.from(latin1, 'latin1').toString('utf8');

/**
 * The labels of a submitted message from its tag and metadata header fields (as
 * `takeControlHeaders` took them out). Throws `CONTROL_HEADER_INVALID`, naming the field, for a
 * bad value or two different tags; the same metadata key twice keeps the last value.
 */
export function labelsFromHeaders(
  tags: readonly { name: string; value: string }[],
  metadataFields: readonly { name: string; key: string; value: string }[],
): MessageLabels {
  const labels: MessageLabels = {};
  for (const { name, value } of tags) {
    const tag = utf8(value);
    const problem = tagProblem(tag);
    if (problem) throw new AppError('CONTROL_HEADER_INVALID', `${name}: ${problem}`, { field: name });
    if (labels.tag !== undefined && labels.tag !== tag)
      throw new AppError('CONTROL_HEADER_INVALID', `${name}: a message has one tag`, { field: name });
    labels.tag = tag;
  }
  if (metadataFields.length > 0) {
    const metadata: Record<string, string> = {};
    for (const { key, value } of metadataFields) metadata[key] = utf8(value);
    const problem = metadataProblem(metadata);
    if (problem) {
      const field = problem.key === undefined ? undefined : metadataFields.find((f) => f.key === problem.key)?.name;
      const label = field ?? 'X-Bridgemail-Metadata-*';
      throw new AppError('CONTROL_HEADER_INVALID', `${label}: ${problem.message}`, { field: label });
    }
    labels.metadata = metadata;
  }
  return labels;
}

/** What an event that knows its message only by id takes from the message's `queued` event. */
export interface InheritedLabels {
  tag: string;
  metadata: Record<string, string>;
  sandbox: boolean;
}

/** {@link InheritedLabels} of messages by id, from their `queued` events; a message with none is left out. */
export type LabelLookup = (messageIds: readonly string[]) => Promise<Map<string, InheritedLabels>>;

/** Events raised from a link or address that names only the message (tracking and unsubscribe tokens). */
const INHERITING: ReadonlySet<EventType> = new Set(['opened', 'clicked', 'unsubscribed']);

/**
 * Opens, clicks and one-click unsubscribes know their message only by id (a tracking or unsubscribe
 * link carries neither its tag nor its metadata, so links expose nothing and stay short): they take
 * the tag, metadata and sandbox flag of the message's `queued` event, found among `events` or, in one
 * lookup for all the others, by `lookup`. Both readers of the event stream do this: the analytics
 * writer before it inserts, the webhook fan-out before it builds payloads.
 */
export async function inheritMessageLabels(events: MailEvent[], lookup: LabelLookup): Promise<void> {
  const inheriting = events.filter((e) => INHERITING.has(e.type) && e.metadata === undefined);
  if (inheriting.length === 0) return;
  const known = new Map<string, Partial<InheritedLabels>>();
  for (const e of events)
    if (e.type === 'queued') known.set(e.messageId, { tag: e.tag, metadata: e.metadata, sandbox: e.sandbox });
  const missing = inheriting.filter((e) => !known.has(e.messageId)).map((e) => e.messageId);
  if (missing.length > 0) for (const [id, labels] of await lookup(missing)) known.set(id, labels);
  for (const e of inheriting) {
    const labels = known.get(e.messageId);
    if (!labels) continue;
    if (labels.tag && !e.tag) e.tag = labels.tag;
    if (labels.metadata && Object.keys(labels.metadata).length > 0) e.metadata = labels.metadata;
    if (labels.sandbox) e.sandbox = true;
  }
}
