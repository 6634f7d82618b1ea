import addressparser from 'nodemailer/lib/addressparser';

/** The top-level header block of a raw message (up to the first empty line), as latin1 text. */
export function headerBlock(raw: Buffer): string {
  const head = raw.subarray(0, Math.min(raw.length, 256 * 1024)).toString('latin1');
  const match = /\r?\n\r?\n/.exec(head);
  return match ? head.slice(0, match.index) : head;
}

/** The domain of the first address of the From header field (RFC 5322 §3.6.2), lower-cased. */
export function fromDomain(raw: Buffer): string | undefined {
  const unfolded = headerBlock(raw).replace(/\r?\n[ \t]+/g, ' ');
  const line = /^from:(.*)$/im.exec(unfolded);
  if (!line?.[1]) return undefined;
  const [first] = addressparser(line[1], { flatten: true });
  const at = first?.address.lastIndexOf('@') ?? -1;
  return first && at > 0 ? first.address.slice(at + 1).toLowerCase() : undefined;
}
