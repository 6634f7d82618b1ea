import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256>`. */
export const SIGNATURE_HEADER = 'Bridgemail-Signature';
/** Header naming the secret that signed the delivery (changes when the secret is rotated). */
export const KEY_ID_HEADER = 'Bridgemail-Key-Id';
/** Header carrying the event id; receivers deduplicate on it (delivery is at least once). */
export const EVENT_ID_HEADER = 'Bridgemail-Event-Id';

/** Default accepted clock difference of {@link verifyWebhookSignature}, in seconds. */
export const DEFAULT_TOLERANCE_S = 300;

const hmacHex = (timestamp: number, body: string, secret: string): string =>
  createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');

/**
 * The `Bridgemail-Signature` value of a delivery: `t=<timestamp>,v1=<hex>` where the MAC is
 * HMAC-SHA256 keyed with the secret (its UTF-8 bytes, as shown) over `"<timestamp>.<body>"`.
 * Signing the timestamp with the body lets receivers refuse replays of old deliveries.
 *
 * @param timestamp Unix seconds.
 * @param body The exact request body.
 */
export function signWebhook(timestamp: number, body: string, secret: string): string {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new Error('timestamp must be whole unix seconds');
  return `t=${timestamp},v1=${hmacHex(timestamp, body, secret)}`;
}

/** The parts of a signature header; undefined when malformed. */
function parseHeader(header: string): { timestamp: number; signatures: string[] } | undefined {
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (!/^\d{1,12}$/.test(value)) return undefined;
      timestamp = Number(value);
    } else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) {
      signatures.push(value.toLowerCase());
    }
  }
  return timestamp === undefined || signatures.length === 0 ? undefined : { timestamp, signatures };
}

/**
 * Checks a `Bridgemail-Signature` header against the raw body, for receivers: true when one
 * `v1` MAC matches (compared in constant time) and the timestamp is within `toleranceS` of now.
 * Pass the body exactly as received, before any JSON parsing.
 *
 * @param toleranceS Accepted clock difference either way. @defaultValue 300
 * @param nowS Current unix seconds (tests). @defaultValue the clock
 */
export function verifyWebhookSignature(
  header: string | undefined,
  body: string,
  secret: string,
  toleranceS: number = DEFAULT_TOLERANCE_S,
  nowS: number = Math.floor(Date.now() / 1000),
): boolean {
  if (!header) return false;
  const parsed = parseHeader(header);
  if (!parsed || Math.abs(nowS - parsed.timestamp) > toleranceS) return false;
  const expected = Buffer.from(hmacHex(parsed.timestamp, body, secret), 'hex');
  let ok = false;
  for (const signature of parsed.signatures) {
    // Every candidate is compared (no early exit), each in constant time; lengths are fixed at 32 bytes.
    if (timingSafeEqual(expected, Buffer.from(signature, 'hex'))) ok = true;
  }
  return ok;
}
