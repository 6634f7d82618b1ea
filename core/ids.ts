import { randomBytes } from 'node:crypto';

/**
 * A new sortable identifier: `<prefix>_` + 12 hex digits of milliseconds + 16 random hex digits.
 * Sorting ids sorts them by creation time, which keeps ClickHouse and Postgres indexes local.
 */
export function newId(prefix: string): string {
  const time = Date.now().toString(16).padStart(12, '0');
  return `${prefix}_${time}${randomBytes(8).toString('hex')}`;
}

/** A random URL-safe secret of `bytes` bytes of entropy. */
export function randomSecret(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}
