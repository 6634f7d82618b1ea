/**
 * Typed readings of Redis stream replies. ioredis returns XINFO and XPENDING as `unknown`, and
 * declares an XREADGROUP reply whose shape depends on the protocol version; these functions check
 * each reply's shape instead of casting it, and throw on anything else (a consumer treats that
 * like any other Redis error). They read RESP2 replies, the protocol of every connection the
 * platform opens.
 */

/** One stream entry as a consumer group hands it out. */
export interface StreamEntry {
  /** Stream id (`<ms>-<seq>`). */
  readonly id: string;
  /**
   * The entry's flat field list (`name, value, …`); null when the entry was deleted (trimmed)
   * while pending in the group, which is how Redis answers a pending read for it.
   */
  readonly fields: readonly string[] | null;
}

/** One consumer group of a stream, as XINFO GROUPS describes it. */
export interface StreamGroupInfo {
  name: string;
  consumers: number;
  /** Entries delivered to a consumer of the group and not acknowledged yet. */
  pending: number;
  /** Id of the last entry delivered to the group. */
  lastDeliveredId: string;
  /** Entries not delivered to the group yet; null when Redis cannot tell (e.g. after XGROUP SETID). */
  lag: number | null;
}

/** The summary form of XPENDING: how many entries a group holds pending, and the oldest one. */
export interface PendingSummary {
  count: number;
  /** Id of the oldest pending entry; null when none is pending. */
  oldestId: string | null;
}

const isString = (value: unknown): value is string => typeof value === 'string';

function unexpected(command: string, reply: unknown): Error {
  return new Error(`unexpected ${command} reply: ${JSON.stringify(reply)?.slice(0, 200) ?? String(reply)}`);
}

function parseEntry(item: unknown): StreamEntry {
  if (!Array.isArray(item) || item.length !== 2) throw unexpected('XREADGROUP entry', item);
  const [id, fields] = item as unknown[];
  if (!isString(id)) throw unexpected('XREADGROUP entry', item);
  if (fields === null) return { id, fields: null };
  if (!Array.isArray(fields) || !fields.every(isString)) throw unexpected('XREADGROUP entry', item);
  return { id, fields };
}

/**
 * The entries of an XREADGROUP reply for one stream: `null` (nothing within the block) or
 * `[[key, [[id, fields | null], …]]]`. This is the one narrowing of read replies every stream
 * consumer shares; it checks every entry, since an unread field list would otherwise surface far
 * from here.
 */
export function parseReadGroupReply(reply: unknown): StreamEntry[] {
  if (reply === null) return [];
  if (!Array.isArray(reply)) throw unexpected('XREADGROUP', reply);
  const [stream] = reply as unknown[];
  if (stream === undefined) return [];
  if (!Array.isArray(stream) || stream.length !== 2 || !Array.isArray(stream[1])) throw unexpected('XREADGROUP', reply);
  const items: unknown[] = stream[1];
  return items.map(parseEntry);
}

/** A flat `name, value, …` reply as a map from name to value. */
function fieldMap(command: string, fields: unknown): Map<string, unknown> {
  if (!Array.isArray(fields) || fields.length % 2 !== 0) throw unexpected(command, fields);
  const map = new Map<string, unknown>();
  for (let i = 0; i < fields.length; i += 2) {
    const name: unknown = fields[i];
    if (!isString(name)) throw unexpected(command, fields);
    map.set(name, fields[i + 1]);
  }
  return map;
}

/** Reads one group of XINFO GROUPS. `lag` appears in Redis 7 and may be nil; older servers give null. */
function parseGroupInfo(fields: unknown): StreamGroupInfo {
  const info = fieldMap('XINFO GROUPS', fields);
  const name = info.get('name');
  const consumers = info.get('consumers');
  const pending = info.get('pending');
  const lastDeliveredId = info.get('last-delivered-id');
  const lag = info.get('lag');
  if (!isString(name) || typeof consumers !== 'number' || typeof pending !== 'number' || !isString(lastDeliveredId)) {
    throw unexpected('XINFO GROUPS', fields);
  }
  return { name, consumers, pending, lastDeliveredId, lag: typeof lag === 'number' ? lag : null };
}

/** The groups of an XINFO GROUPS reply. */
export function parseGroupsInfo(reply: unknown): StreamGroupInfo[] {
  if (!Array.isArray(reply)) throw unexpected('XINFO GROUPS', reply);
  const groups: unknown[] = reply;
  return groups.map(parseGroupInfo);
}

/** The summary form of an XPENDING reply: `[count, oldest id, newest id, per consumer]`. */
export function parsePendingSummary(reply: unknown): PendingSummary {
  if (!Array.isArray(reply)) throw unexpected('XPENDING', reply);
  const [count, oldestId] = reply as unknown[];
  if (typeof count !== 'number' || !(oldestId === null || isString(oldestId))) throw unexpected('XPENDING', reply);
  return { count, oldestId: count > 0 ? oldestId : null };
}
