import { readdirSync, readFileSync } from 'node:fs';

/**
 * The team-written sample bounces of `test/fixtures/bounces` and the rewrites the property tests
 * apply to them: each rewrite changes how a report is written (line endings, folding, case of
 * field names, a forwarding wrapper, blank lines, the diagnostic's language), never what it says.
 */

/** What a fixture must classify as (fields of `Classification`). */
export interface FixtureExpectation {
  kind: 'bounce' | 'complaint' | 'none';
  recipient: string | null;
  hard: boolean;
  status: string | null;
  reason: string;
  replyCode?: number;
  delayed?: boolean;
  feedbackType?: string;
}

/** One sample message with its expectation. */
export interface Fixture {
  name: string;
  raw: string;
  expect: FixtureExpectation;
  /** The English diagnostic as written in the body (each spelling, longest first), if any. */
  diagnostic: string[];
  /** The reason of the translation that replaces the diagnostic (the fixture's reason unless set). */
  translateAs: string;
}

interface ExpectationFile {
  [file: string]: { expect: FixtureExpectation; diagnostic?: string[]; translateAs?: string };
}

const FIXTURE_DIR = new URL('../fixtures/bounces/', import.meta.url);

/** Every fixture of `test/fixtures/bounces`, with its entry of `expected.json`. */
export function loadFixtures(): Fixture[] {
  const table = JSON.parse(readFileSync(new URL('expected.json', FIXTURE_DIR), 'utf8')) as ExpectationFile;
  const files = readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.eml'));
  return files.sort().map((name) => {
    const entry = table[name];
    if (!entry) throw new Error(`test/fixtures/bounces/expected.json has no entry for ${name}`);
    return {
      name,
      raw: readFileSync(new URL(name, FIXTURE_DIR), 'utf8'),
      expect: entry.expect,
      diagnostic: entry.diagnostic ?? [],
      translateAs: entry.translateAs ?? entry.expect.reason,
    };
  });
}

/** Role of one line of a message: a field (header or report field), its continuation, a blank, ... */
export type LineRole = 'field' | 'continuation' | 'header-end' | 'group-blank' | 'boundary' | 'body' | 'body-blank';

/** The role of each line of an LF message: header blocks of the message, its parts and embedded messages. */
export function lineRoles(raw: string): LineRole[] {
  const lines = raw.split('\n');
  const boundaries = new Set<string>();
  const roles: LineRole[] = [];
  let zone: 'header' | 'fields' | 'body' = 'header';
  let block: string[] = [];
  for (const line of lines) {
    const trimmed = line.trimEnd();
    if (zone !== 'header' && [...boundaries].some((b) => trimmed === `--${b}` || trimmed === `--${b}--`)) {
      roles.push('boundary');
      zone = trimmed.endsWith('--') && !boundaries.has(trimmed.slice(2)) ? 'body' : 'header';
      block = [];
      continue;
    }
    if (zone === 'header') {
      if (line.trim() !== '') {
        roles.push(/^[ \t]/.test(line) ? 'continuation' : 'field');
        block.push(line);
        continue;
      }
      roles.push('header-end');
      const type = contentType(block.join('\n'));
      const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
      if (boundary !== undefined) boundaries.add(boundary.trim());
      zone = /^message\/rfc822|^text\/rfc822-headers/i.test(type)
        ? 'header'
        : /^message\/(?:delivery-status|feedback-report)/i.test(type)
          ? 'fields'
          : 'body';
      block = [];
      continue;
    }
    if (line.trim() === '') roles.push(zone === 'fields' ? 'group-blank' : 'body-blank');
    else if (zone === 'fields') roles.push(/^[ \t]/.test(line) ? 'continuation' : 'field');
    else roles.push('body');
  }
  return roles;
}

function contentType(headerBlock: string): string {
  const unfolded = headerBlock.replace(/\n[ \t]+/g, ' ');
  return /^content-type:\s*(.*)$/im.exec(unfolded)?.[1] ?? '';
}

/** LF line endings to CRLF. */
export function toCrlf(raw: string): string {
  return raw.replace(/\r?\n/g, '\r\n');
}

/** Indexes of lines with one of `roles`. */
function indexesOf(raw: string, roles: readonly LineRole[]): number[] {
  return lineRoles(raw).flatMap((r, i) => (roles.includes(r) ? [i] : []));
}

/**
 * Folds field lines at whitespace (RFC 5322 §2.2.3): each pick names a field line and one of its
 * spaces after the colon, replaced by a line break and a space or tab.
 */
export function foldFields(raw: string, picks: readonly (readonly [number, number, boolean])[]): string {
  const lines = raw.split('\n');
  const fields = indexesOf(raw, ['field', 'continuation']);
  for (const [which, where, tab] of picks) {
    const at = fields[which % Math.max(1, fields.length)];
    if (at === undefined) continue;
    const line = lines[at] ?? '';
    const start = line.indexOf(':') + 1;
    const spaces = [...line.matchAll(/ /g)]
      .map((m) => m.index ?? 0)
      .filter((i) => i >= start && i > 0 && line[i - 1] !== '\n');
    const cut = spaces[where % Math.max(1, spaces.length)];
    if (cut === undefined || line.slice(0, cut).trim() === '') continue;
    lines[at] = `${line.slice(0, cut)}\n${tab ? '\t' : ' '}${line.slice(cut + 1)}`;
  }
  return lines.join('\n');
}

/** Field names in a case given per line by a bit mask (bit i set: letter i upper-cased). */
export function recaseFieldNames(raw: string, masks: readonly number[]): string {
  const roles = lineRoles(raw);
  let n = 0;
  return raw
    .split('\n')
    .map((line, i) => {
      if (roles[i] !== 'field') return line;
      const colon = line.indexOf(':');
      if (colon <= 0) return line;
      const mask = masks[n++ % Math.max(1, masks.length)] ?? 0;
      const name = [...line.slice(0, colon)]
        .map((c, k) => ((mask >> (k % 31)) & 1 ? c.toUpperCase() : c.toLowerCase()))
        .join('');
      return name + line.slice(colon);
    })
    .join('\n');
}

/**
 * Extra blank lines where a blank line already separates things (between paragraphs and report
 * field groups, never inside a header block or before an embedded message's header), and
 * trailing spaces or tabs on non-blank lines.
 */
export function addBlankLinesAndTrailingSpace(
  raw: string,
  blanks: readonly number[],
  trailing: readonly (readonly [number, string])[],
): string {
  const roles = lineRoles(raw);
  const lines = raw.split('\n');
  const nonBlank = lines.flatMap((l, i) => (l.trim() !== '' ? [i] : []));
  for (const [which, pad] of trailing) {
    const at = nonBlank[which % Math.max(1, nonBlank.length)];
    if (at !== undefined) lines[at] = `${lines[at] ?? ''}${pad}`;
  }
  // A header-end blank line may be doubled only where a body (not a header block) follows.
  const doubling = roles.flatMap((r, i) =>
    r === 'group-blank' || r === 'body-blank' || (r === 'header-end' && roles[i + 1] !== 'field') ? [i] : [],
  );
  const extra = new Map<number, number>();
  for (const b of blanks) {
    const at = doubling[b % Math.max(1, doubling.length)];
    if (at !== undefined) extra.set(at, (extra.get(at) ?? 0) + 1);
  }
  return lines.map((l, i) => l + '\n'.repeat(extra.get(i) ?? 0)).join('\n');
}

/** The message forwarded whole as a message/rfc822 part of a multipart/mixed from a person. */
export function wrapInForward(raw: string, note: string): string {
  return [
    'From: Rita Admin <rita@example.com>',
    'To: bounces@example.com',
    'Subject: Fwd: returned message',
    'Date: Sun, 06 Dec 2026 12:00:00 +0000',
    'Message-ID: <fwd-1@example.com>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="fwd-boundary-1"',
    '',
    '--fwd-boundary-1',
    'Content-Type: text/plain; charset=utf-8',
    '',
    note,
    '',
    '--fwd-boundary-1',
    'Content-Type: message/rfc822',
    'Content-Disposition: inline',
    '',
    raw.replace(/\n$/, ''),
    '--fwd-boundary-1--',
    '',
  ].join('\n');
}

/** The fixture with every spelling of its English diagnostic, in the body, replaced by `translation`. */
export function translateDiagnostic(fixture: Fixture, translation: string): string {
  const end = fixture.raw.indexOf('\n\n');
  let body = fixture.raw.slice(end);
  for (const english of fixture.diagnostic) body = body.split(english).join(translation);
  return fixture.raw.slice(0, end) + body;
}
