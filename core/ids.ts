import { randomBytes, randomFillSync } from 'node:crypto';

/** Random bytes drawn in blocks (one CSPRNG call per 512 ids, as uuid's pool does), 8 per id. */
const POOL = Buffer.allocUnsafe(4096);
let poolOffset = POOL.length;

function randomHex8(): string {
  if (poolOffset + 8 > POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  const hex = POOL.toString('hex', poolOffset, poolOffset + 8);
  poolOffset += 8;
  return hex;
}

/**
 * A new sortable identifier: `<prefix>_` + 12 hex digits of milliseconds + 16 random hex digits.
 * Sorting ids sorts them by creation time, which keeps ClickHouse and Postgres indexes local.
 */
export function newId(prefix: string): string {
  const time = Date.now().toString(16).padStart(12, '0');
  return `${prefix}_${time}${randomHex8()}`;
}

/**
 * A random URL-safe secret of `bytes` bytes of entropy that never begins with `-`: command-line
 * tools read such a value as an option (`swaks --auth-password -x…` fails with "Unknown option").
 */
export function randomSecret(bytes = 24): string {
  for (;;) {
    const secret = randomBytes(bytes).toString('base64url');
    if (!secret.startsWith('-')) return secret;
  }
}
