/** The per-message tracking ceiling a sender may set with `X-Bridgemail-Track`. */
export type TrackCeiling = 'none' | 'opens' | 'clicks';

const HEADER = 'x-bridgemail-track';

/**
 * Removes every `X-Bridgemail-Track` header field from the top-level header of a raw message and
 * returns its value (`none`, `opens` or `clicks`; anything else is ignored). A message without
 * the header comes back as the very same Buffer.
 */
export function extractTrackHeader(raw: Buffer): { raw: Buffer; ceiling: TrackCeiling | undefined } {
  const head = raw.subarray(0, Math.min(raw.length, 256 * 1024)).toString('latin1');
  const crlf = head.indexOf('\r\n\r\n');
  const lf = head.indexOf('\n\n');
  const end = crlf !== -1 && (lf === -1 || crlf < lf) ? crlf + 2 : lf !== -1 ? lf + 1 : -1;
  const headerText = end === -1 ? head : head.slice(0, end);
  if (!headerText.toLowerCase().includes(HEADER)) return { raw, ceiling: undefined };
  // Split into fields: a line starting with white space continues the previous field (RFC 5322 §2.2.3).
  const lines = headerText.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const fields: string[] = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line) && fields.length) fields[fields.length - 1] += line;
    else fields.push(line);
  }
  let ceiling: TrackCeiling | undefined;
  const kept = fields.filter((field) => {
    const colon = field.indexOf(':');
    if (colon === -1 || field.slice(0, colon).trim().toLowerCase() !== HEADER) return true;
    const value = field.slice(colon + 1).replace(/\s+/g, ' ').trim().toLowerCase();
    if (value === 'none' || value === 'opens' || value === 'clicks') ceiling = ceiling === 'none' ? 'none' : value;
    return false;
  });
  const headerBytes = Buffer.from(kept.join(''), 'latin1');
  return { raw: Buffer.concat([headerBytes, raw.subarray(Buffer.byteLength(headerText, 'latin1'))]), ceiling };
}
