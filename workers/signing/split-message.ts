/** LF runs not preceded by CR: mailauth's message parser turns each of their LFs into CRLF. */
const BARE_LF_RUN = /(?<![\r\n])\n+/g;
/** The end of the header block once line breaks are normalised. */
const HEADER_END = /\n\r?\n/;

const EMPTY_LINE_AFTER_LF = Buffer.from('\n\r\n', 'latin1');

/** True when some LF does not follow a CR. */
function hasBareLf(raw: Buffer): boolean {
  for (let i = raw.indexOf(0x0a); i >= 0; i = raw.indexOf(0x0a, i + 1)) if (i === 0 || raw[i - 1] !== 0x0d) return true;
  return false;
}

/** A message split as mailauth's DKIM message parser splits it. */
export interface SplitMessage {
  /** The header block with its terminating empty line, as mailauth's `parseHeaders` takes it. */
  header: Buffer;
  /** The body, line breaks normalised. */
  body: Buffer;
}

/**
 * mailauth's `MessageParser.ensureLinebreaks` over a whole message (latin1): an LF becomes CRLF
 * unless the last byte before it other than LF is a CR, so "\r\n\n" stays as it is.
 */
function normaliseLineBreaks(message: string): string {
  return message.replace(BARE_LF_RUN, (run) => '\r\n'.repeat(run.length));
}

/**
 * Splits a message where mailauth's DKIM message parser ends the header block: at the first empty
 * line once line breaks are normalised. `undefined` when there is none, a message mailauth does
 * not sign (its signer waits for the body, and never signs a header-only message).
 */
export function splitMessage(raw: Buffer): SplitMessage | undefined {
  // Every LF after a CR (what our builders and SMTP ingress write): nothing to normalise, and the
  // header block ends at the first LF CR LF. Found on the bytes, without a latin1 copy.
  if (!hasBareLf(raw)) {
    const at = raw.indexOf(EMPTY_LINE_AFTER_LF);
    return at < 0 ? undefined : { header: raw.subarray(0, at + 3), body: raw.subarray(at + 3) };
  }
  const text = raw.toString('latin1');
  const normalised = normaliseLineBreaks(text);
  const match = HEADER_END.exec(normalised);
  if (!match) return undefined;
  const end = match.index + match[0].length;
  if (normalised === text) return { header: raw.subarray(0, end), body: raw.subarray(end) };
  return {
    header: Buffer.from(normalised.slice(0, end), 'latin1'),
    body: Buffer.from(normalised.slice(end), 'latin1'),
  };
}
