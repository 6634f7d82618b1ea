import { simpleParser, type ParsedMail } from 'mailparser';
import { beforeAll, expect } from 'vitest';
import { useHarness, type Harness } from './harness.js';
import type { SinkMessage } from './smtp-sink.js';
import { waitFor } from './wait.js';

// What the header-injection tests send (line breaks and their look-alikes) and how they prove a
// delivered message inert: no injected header, no extra envelope recipient.

/** Line breaks, their Unicode look-alikes, and encodings a careless decoder might turn into one. */
export const BREAKS: Record<string, string> = {
  crlf: '\r\n',
  cr: '\r',
  lf: '\n',
  nul: '\0',
  'crlf-space': '\r\n ',
  'lf-tab': '\n\t',
  'line-separator': '\u2028',
  'paragraph-separator': '\u2029',
  nel: '\u0085',
  'vertical-tab': '\u000b',
  'form-feed': '\u000c',
  'fullwidth-colon': '\uff1a',
  'percent-encoded': '%0d%0a',
  'html-entities': '&#13;&#10;',
  'encoded-word': '=?utf-8?q?=0D=0A?=',
  'escaped-text': '\\r\\n',
};

export const EVIL_BCC = 'injected-bcc@evil.test';
export const payloadFor = (brk: string) => `${brk}Bcc: ${EVIL_BCC}${brk}X-Injected: yes`;

/** Header names of one header block (unfolded); `raw` is a message or a MIME part. */
export function headerNames(block: string): string[] {
  const end = block.search(/\r?\n\r?\n/);
  const head = end === -1 ? block : block.slice(0, end);
  return head
    .split(/\r?\n(?![ \t])/)
    .map((field) =>
      field
        .slice(0, Math.max(0, field.indexOf(':')))
        .trim()
        .toLowerCase(),
    )
    .filter(Boolean);
}

/** Every header name of the message and of each of its MIME parts. */
export function allHeaderNames(raw: string): string[] {
  const names = headerNames(raw);
  for (const m of raw.matchAll(/\r?\n--[^\r\n]+\r?\n/g))
    names.push(...headerNames(raw.slice((m.index ?? 0) + m[0].length)));
  return names;
}

/** What the receiving side must never see, whatever was accepted. */
export async function expectInert(m: SinkMessage, intendedRecipients: string[]): Promise<ParsedMail> {
  const raw = m.raw.toString('latin1');
  const names = allHeaderNames(raw);
  expect(names).not.toContain('bcc');
  expect(names).not.toContain('x-injected');
  // No line of the message, in any part, starts an injected field.
  expect(raw).not.toMatch(/^(bcc|x-injected)\s*:/im);
  // Bare CR or LF never reach the wire: every line ends CRLF.
  expect(raw).not.toMatch(/\r(?!\n)|(?<!\r)\n/);
  expect(raw).not.toContain('\0');
  // Nor do other control characters in the message header (VT, FF, ESC, DEL…); TAB may fold.
  const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
  // eslint-disable-next-line no-control-regex -- control characters are what this looks for
  expect(head).not.toMatch(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/);
  const parsed = await simpleParser(m.raw);
  expect(parsed.headers.has('bcc')).toBe(false);
  expect(parsed.headers.has('x-injected')).toBe(false);
  expect(parsed.bcc).toBeUndefined();
  // Copies may go out one per recipient: each envelope holds intended recipients only.
  const intended = new Set(intendedRecipients.map((a) => a.toLowerCase()));
  expect(m.to.filter((a) => !intended.has(a.toLowerCase()))).toEqual([]);
  return parsed;
}

/** What each injection test file starts with: a platform, a Bridge without and one with tracking. */
export interface InjectionSetup {
  h: Harness;
  /** API keys of the Bridges (set in beforeAll). */
  keys: { plain: string; tracked: string };
  send: (apiKey: string, body: unknown) => Promise<{ status: number; body: any }>;
  /** The first message the sink received for `to`. */
  arrival: (to: string) => Promise<SinkMessage>;
  /** A recipient address not used before in this file. */
  fresh: (tag: string) => string;
}

/** Starts the platform of an injection test file and its two Bridges. */
export function useInjectionSetup(): InjectionSetup {
  const h = useHarness({ BRIDGEMAIL_TRACKING_SCANNER_WINDOW_MS: '0' });
  const keys = { plain: '', tracked: '' };
  let seq = 0;
  beforeAll(async () => {
    const pool = await h.platform.createPool('inject', ['127.0.0.2']);
    const off = { trackOpens: false, trackClicks: false };
    keys.plain = (await h.platform.createBridge('inject-plain', pool.id, off)).apiKey;
    keys.tracked = (
      await h.platform.createBridge('inject-tracked', pool.id, { trackOpens: true, trackClicks: true })
    ).apiKey;
  });
  return {
    h,
    keys,
    send: async (apiKey, body) => {
      const res = await h.platform.send(apiKey, body);
      return { status: res.status, body: (await res.json()) as any };
    },
    arrival: (to) => waitFor(() => h.sink.messages.find((m) => m.to.includes(to)), 30_000, `mail to ${to}`),
    fresh: (tag) => `${tag}-${seq++}@example.test`,
  };
}
