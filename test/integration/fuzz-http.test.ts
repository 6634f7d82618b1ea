import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, EVENT_TYPES } from '../../core/index.js';
import { useHarness } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

/*
 * Property-based fuzzing of the HTTP bodies (issue 11, hostile input): random and hostile request
 * bodies against one real platform on loopback. Whatever comes in, the answer is 2xx or 4xx (never
 * 5xx, never a dropped connection), every 4xx is `{ error: { code } }` with a shipped code, and the
 * platform still serves a known-good request afterwards.
 *
 * Cases are drawn with `fc.sample` from a fixed seed and sent 16 at a time; a violation is
 * replayed with `fc.check` from the same seed and path, which shrinks it to a small reproducer.
 * FUZZ_RUNS (default 10000 per family) and FUZZ_SEED change the run.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 0xb1d9e);
const RUNS = Math.max(1, Number(process.env.FUZZ_RUNS ?? 10_000));
const AUTH_RUNS = Math.max(1, Math.ceil(RUNS / 20));
const CONCURRENCY = 16;
const SHRINK_BUDGET_MS = 10_000;
const CODES = new Set(Object.keys(ERROR_CODES));

// ---------------------------------------------------------------------------------------------
// Requests and the property every answer must satisfy.

/** One fuzzed HTTP request. */
interface Case {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  /** Items of a batch body that parsed as an array (to match the per-item answers). */
  batchItems?: number;
}

interface Outcome {
  status: number;
  contentType: string;
  text: string;
}

type Family = 'send' | 'batch' | 'admin' | 'auth';

async function exchange(baseUrl: string, c: Case): Promise<Outcome> {
  try {
    const res = await fetch(`${baseUrl}${c.path}`, { method: c.method, headers: c.headers, ...(c.body === undefined ? {} : { body: c.body }) });
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
  } catch (err) {
    // A reset or closed connection: the server did not answer at all.
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return { status: 0, contentType: '', text: `fetch failed: ${String((err as Error).message)} ${cause?.code ?? ''} ${cause?.message ?? ''}` };
  }
}

const isErrorBody = (v: unknown): v is { error: { code: string; message: string; field?: unknown } } =>
  typeof v === 'object' && v !== null && typeof (v as { error?: unknown }).error === 'object' && (v as { error: unknown }).error !== null;

/** Why an error object is not one we ship, or undefined when it is. */
function badError(e: { code: unknown; message: unknown; field?: unknown }): string | undefined {
  if (typeof e.code !== 'string' || !CODES.has(e.code)) return `error.code ${JSON.stringify(e.code)} is not in ERROR_CODES`;
  if (ERROR_CODES[e.code as keyof typeof ERROR_CODES].http >= 500) return `error.code ${e.code} is a server error`;
  if (typeof e.message !== 'string') return 'error.message is not a string';
  if (e.field !== undefined && typeof e.field !== 'string') return 'error.field is not a string';
  return undefined;
}

/** The property: undefined when the answer is acceptable, else what is wrong with it. */
function violation(family: Family, c: Case, o: Outcome): string | undefined {
  if (o.status === 0) return o.text;
  if (o.status >= 500) return `answered ${o.status}`;
  if (o.status < 200 || (o.status >= 300 && o.status < 400)) return `answered ${o.status}, neither 2xx nor 4xx`;
  let body: unknown;
  try {
    body = JSON.parse(o.text);
  } catch {
    return `${o.status} body is not JSON`;
  }
  if (!/application\/json/.test(o.contentType)) return `${o.status} with content-type ${o.contentType}`;
  if (o.status >= 400) {
    if (!isErrorBody(body)) return `${o.status} body has no error object`;
    return badError(body.error);
  }
  if (family === 'send') {
    if (o.status !== 202 || !/^msg_/.test(String((body as { id?: unknown }).id))) return `2xx is not 202 { id: msg_… }`;
  }
  if (family === 'batch') {
    const data = (body as { data?: unknown }).data;
    if (o.status !== 200 || !Array.isArray(data)) return '2xx is not 200 { data: [...] }';
    if (c.batchItems !== undefined && data.length !== c.batchItems) return `${data.length} results for ${c.batchItems} messages`;
    for (const [i, item] of data.entries()) {
      if ((item as { index?: unknown }).index !== i) return `result ${i} has index ${(item as { index?: unknown }).index}`;
      if (isErrorBody(item)) {
        const bad = badError(item.error);
        if (bad) return `result ${i}: ${bad}`;
      } else if (!/^msg_/.test(String((item as { id?: unknown }).id))) return `result ${i} has neither id nor error`;
    }
  }
  return undefined;
}

const show = (v: unknown, max = 600) => {
  const text = typeof v === 'string' ? JSON.stringify(v) : v instanceof Uint8Array ? `<${v.length} bytes> ${JSON.stringify(Buffer.from(v).toString('latin1'))}` : JSON.stringify(v);
  return text === undefined ? String(text) : text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
};
const routeOf = (c: Case) => `${c.method} ${c.path.replace(/^https?:\/\/[^/]+/, '').replace(/^(\/admin\/v1\/bridges\/)[^/]+/, '$1:id')}`;
const describeCase = (c: Case) => `${c.method} ${show(c.path, 200)} headers=${show(c.headers, 300)} body=${show(c.body)}`;

interface Violation {
  index: number;
  /** Method and path, ids generalised: violations are grouped by it. */
  route: string;
  request: string;
  status: number;
  response: string;
  why: string;
}

interface FamilyReport {
  family: Family;
  cases: number;
  ms: number;
  generatedMs: number;
  byStatus: Record<string, number>;
  violations: Violation[];
  shrunk?: string;
}

/**
 * Sends `cases` with bounded concurrency and checks each answer. On a violation, replays the
 * first one through `fc.check` (same arbitrary, seed and path) to shrink it.
 */
async function fuzzFamily(family: Family, baseUrl: string, arb: fc.Arbitrary<Case>, runs: number): Promise<FamilyReport> {
  const started = Date.now();
  const cases = fc.sample(arb, { seed: SEED, numRuns: runs });
  const generatedMs = Date.now() - started;
  // Sampling blocked the event loop for seconds: let the keep-alive timers that expired meanwhile
  // run (timers phase) and their socket closes be read (poll phase) before any request reuses a
  // pooled connection the server is about to drop.
  await new Promise((resolve) => setTimeout(resolve, 0));
  await new Promise((resolve) => setImmediate(resolve));
  const byStatus: Record<string, number> = {};
  const violations: Violation[] = [];
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < cases.length; i = next++) {
      const c = cases[i]!;
      const o = await exchange(baseUrl, c);
      byStatus[o.status] = (byStatus[o.status] ?? 0) + 1;
      const why = violation(family, c, o);
      if (why) violations.push({ index: i, route: routeOf(c), request: describeCase(c), status: o.status, response: o.text.slice(0, 400), why });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  violations.sort((a, b) => a.index - b.index);
  const report: FamilyReport = { family, cases: cases.length, ms: Date.now() - started, generatedMs, byStatus, violations };
  const first = violations[0];
  if (first) {
    const shrink = await fc.check(
      fc.asyncProperty(arb, async (c) => violation(family, c, await exchange(baseUrl, c)) === undefined),
      { seed: SEED, path: String(first.index), numRuns: runs, endOnFailure: false, interruptAfterTimeLimit: SHRINK_BUDGET_MS, markInterruptAsFailure: false },
    );
    if (shrink.failed && shrink.counterexample) {
      const [c] = shrink.counterexample;
      const o = await exchange(baseUrl, c);
      report.shrunk = `${describeCase(c)} → ${o.status} ${o.text.slice(0, 300)} (${violation(family, c, o) ?? 'no longer fails'}; path ${shrink.counterexamplePath})`;
    }
  }
  console.log(
    `[fuzz ${family}] seed=${SEED} cases=${report.cases} in ${report.ms} ms (${report.generatedMs} ms generating); statuses ${JSON.stringify(byStatus)}; violations ${violations.length}` +
      (first ? `\n  first: #${first.index} ${first.why}: ${first.request} → ${first.status} ${first.response}` : '') +
      (report.shrunk ? `\n  shrunk: ${report.shrunk}` : ''),
  );
  return report;
}

/** A failing expectation that names every distinct way the property broke, with one example each. */
function expectNoViolations(report: FamilyReport) {
  const distinct = new Map<string, Violation & { count: number }>();
  for (const v of report.violations) {
    const key = `${v.route} ${v.status} ${v.why}`;
    const seen = distinct.get(key);
    if (seen) seen.count++;
    else distinct.set(key, { ...v, count: 1 });
  }
  const summary = [...distinct.values()].map((v) => `${v.count}× ${v.route}: ${v.why} (first #${v.index}): ${v.request} → ${v.status} ${v.response}`);
  expect(summary, `seed ${SEED}${report.shrunk ? `; shrunk: ${report.shrunk}` : ''}`).toEqual([]);
}

// ---------------------------------------------------------------------------------------------
// Values: hostile strings, wrong types, deep nesting, garbage bodies.

const HOSTILE_BITS = [
  '\r', '\n', '\r\n', '\0', '\r\n\r\n', '\u2028', '\u2029', '\u0085', '\u000b', '\u000c', '\t', '\x7f', '\x1b[31m',
  '\ud800', '\udfff', '\u202e', '\u200b', '\ufeff', '\uffff', '𝔘𝔫𝔦', '你好', 'é', '\u0301', '"', "'", '`', '<', '>', '\\', '/', ':', ';', ',',
  '@', '%00', '%0d%0a', '&#13;&#10;', '=?utf-8?b?Qm9i?=', '=?x?q?=0D=0A?=', '\r\nBcc: victim@evil.test', '\nX-Injected: 1', '${jndi:x}', '{{x}}',
  '../../etc/passwd', '<script>alert(1)</script>', "' OR 1=1 --", '__proto__', 'constructor', 'toString', ' ',
];

const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 3, arbitrary: fc.array(fc.oneof(fc.constantFrom(...HOSTILE_BITS), fc.string({ maxLength: 4 })), { maxLength: 6 }).map((a) => a.join('')) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 10 }) },
  // Around the limits: 76 (header names), 255 (file names), 998 (subject, header values).
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(76, 77, 254, 255, 256, 997, 998, 999), fc.constantFrom('x', 'é', '\u{1F600}', 'a\r\n')).map(([n, ch]) => ch.repeat(Math.ceil(n / ch.length)).slice(0, n)) },
);

/** Hostile strings, now and then far past every field limit (kept rare: they make every request slow). */
const hostileOrHuge: fc.Arbitrary<string> = fc.oneof(
  { weight: 30, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(4096, 70_000), fc.constantFrom('x', 'é', '\u{1F600}', 'a\r\n')).map(([n, ch]) => ch.repeat(Math.ceil(n / ch.length)).slice(0, n)) },
);

/** Values of the wrong type for any field, deep nesting included. */
const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1e308, Number.MAX_SAFE_INTEGER + 2),
  fc.constant([]),
  fc.constant({}),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3 }),
  fc.integer({ min: 1, max: 2000 }).map((depth) => {
    let v: unknown = 'x';
    for (let i = 0; i < depth; i++) v = i % 2 ? { a: v } : [v];
    return v;
  }),
);

/** A field value: mostly of the expected shape (possibly hostile content), sometimes of another type. */
const field = <T>(good: fc.Arbitrary<T>, wrongWeight = 1): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 8, arbitrary: good as fc.Arbitrary<unknown> }, { weight: wrongWeight, arbitrary: wrongType });

/** Keys no schema has, some with a meaning in JavaScript. */
const extraKeys = fc.dictionary(fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'surprise', 'Subject', 'TO', ''), fc.string({ maxLength: 8 })), fc.anything({ maxDepth: 2 }), {
  minKeys: 1,
  maxKeys: 3,
});

/** `arb` one time in `n`, else null. */
const rarely = <T>(arb: fc.Arbitrary<T>, n: number): fc.Arbitrary<T | null> => fc.oneof({ weight: n - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });

/** Merges extra keys into an object with own properties only (`__proto__` included). */
const withExtras = (obj: Record<string, unknown>, extras: Record<string, unknown> | null): Record<string, unknown> => {
  if (!extras) return obj;
  const out: Record<string, unknown> = { ...obj };
  for (const [k, v] of Object.entries(extras)) Object.defineProperty(out, k, { value: v, enumerable: true, configurable: true, writable: true });
  return out;
};

/** A JSON text nested `depth` levels deep, built as text (JSON.stringify would overflow the stack first). */
const deepJsonText = (depth: number, inObject: boolean): string => {
  const core = `${'['.repeat(depth)}${']'.repeat(depth)}`;
  return inObject ? `{"from":"app@sender.test","to":"deep@example.test","subject":"s","text":"t","x":${core}}` : core;
};

/** Bodies that are not a plausible request at all: random JSON values, non-JSON text, bytes, deep nesting. */
const garbageBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  { weight: 4, arbitrary: fc.anything().map((v) => JSON.stringify(v) ?? 'undefined') },
  { weight: 3, arbitrary: fc.json() },
  { weight: 2, arbitrary: fc.string({ maxLength: 60 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'null', 'true', '0', '[]', '{}', '""', '{"a":', '\ufeff{}', '{"__proto__":{"polluted":1}}', '[{}]', '1e999', '-0') },
  { weight: 1, arbitrary: fc.tuple(fc.oneof(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 5_000, max: 60_000 })), fc.boolean()).map(([d, inObject]) => deepJsonText(d, inObject)) },
);

// ---------------------------------------------------------------------------------------------
// Send requests.

const localPart = fc.stringMatching(/^[a-z0-9][a-z0-9._+-]{0,14}$/);
/** Recipients stay on test domains the platform's MX override sends to the loopback sink. */
const goodAddress = fc.tuple(localPart, fc.constantFrom('example.test', 'fuzz.example.test', 'EXAMPLE.test')).map(([l, d]) => `${l}@${d}`);

const mailbox: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: goodAddress },
  { weight: 2, arbitrary: fc.tuple(hostileString, goodAddress).map(([n, a]) => `${n} <${a}>`) },
  { weight: 2, arbitrary: fc.tuple(hostileString, goodAddress).map(([n, a]) => `"${n.replace(/"/g, '')}" <${a}>`) },
  { weight: 1, arbitrary: fc.tuple(goodAddress, fc.constantFrom(...HOSTILE_BITS)).map(([a, bit]) => `${a}${bit}`) },
  { weight: 1, arbitrary: hostileString },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'a@example.test\r\nBcc: victim@evil.test', 'a@example.test, b@example.test', 'a@example.test; b@example.test', '<>', '@', 'a@', '@example.test',
      'a@[127.0.0.1]', 'a@localhost', '"a\\"b"@example.test', '"a b"@example.test', 'üser@example.test', 'a@exämple.test', 'undisclosed-recipients:;',
      'Group: a@example.test, b@example.test;', '=?utf-8?q?a=0D=0ABcc:_x@evil.test?= <a@example.test>', `${'a'.repeat(64)}@example.test`, `${'a'.repeat(65)}@example.test`,
    ),
  },
);

const recipients: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: mailbox },
  { weight: 4, arbitrary: fc.array(mailbox, { minLength: 1, maxLength: 4 }) },
  { weight: 1, arbitrary: fc.constant([]) },
  { weight: 1, arbitrary: fc.array(goodAddress, { minLength: 49, maxLength: 60 }) },
  { weight: 1, arbitrary: fc.array(field(mailbox, 3), { maxLength: 4 }) },
  { weight: 1, arbitrary: wrongType },
);

const headerName = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^X-[A-Za-z0-9-]{1,20}$/) },
  { weight: 2, arbitrary: hostileString },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'Bcc', 'To', 'CC', 'Subject', 'Content-Type', 'Content-Transfer-Encoding', 'MIME-Version', 'Return-Path', 'Message-ID', 'Received', 'DKIM-Signature',
      'X-Bridgemail-Track', 'x-bridgemail-idempotency-key', 'List-Unsubscribe', 'X-A:B', 'X A', '', 'X-\u00e9', '__proto__', 'constructor', 'x'.repeat(77),
    ),
  },
);
const headerValue = fc.oneof({ weight: 3, arbitrary: fc.string({ maxLength: 40 }) }, { weight: 3, arbitrary: hostileOrHuge }, { weight: 1, arbitrary: fc.constantFrom('none', 'opens', 'clicks', 'all', '') });
const customHeaders = fc.oneof(
  { weight: 6, arbitrary: fc.dictionary(headerName, field(headerValue), { maxKeys: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.stringMatching(/^X-[A-Z]{4,10}$/), fc.constant('v'), { minKeys: 48, maxKeys: 55 }) },
  { weight: 1, arbitrary: wrongType },
);

const base64 = fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('base64'));
const filename = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^[a-z0-9]{1,12}\.(txt|pdf|bin)$/) },
  { weight: 3, arbitrary: hostileString },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '../../etc/passwd', '..\\..\\windows\\system32', '/etc/shadow', 'a"b.txt', "a'b.txt", 'a;b=c.txt', 'evil\u202etxt.exe', 'nul', 'CON', '.', '..', '',
      'a\r\nContent-Type: text/html.txt', 'a\0.txt', `${'n'.repeat(255)}`, `${'n'.repeat(256)}`, '=?utf-8?b?Li4vLi4vZXRj?=', 'résumé.pdf', 'файл.txt',
    ),
  },
);
const attachment = fc.record(
  {
    filename: field(filename),
    content: field(fc.oneof({ weight: 5, arbitrary: base64 }, { weight: 1, arbitrary: hostileString }, { weight: 1, arbitrary: base64.map((b) => `${b.slice(0, 4)}\r\n ${b.slice(4)}`) })),
    contentType: field(fc.oneof(fc.constantFrom('text/plain', 'application/pdf', 'image/png', 'text/html', 'message/rfc822', 'multipart/mixed'), hostileString)),
  },
  { requiredKeys: ['filename', 'content'] },
);
const attachments = fc.oneof(
  { weight: 6, arbitrary: fc.array(field(attachment), { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.array(attachment, { minLength: 99, maxLength: 102 }) },
  { weight: 1, arbitrary: wrongType },
);

const bodyText = fc.oneof(
  { weight: 6, arbitrary: fc.string({ maxLength: 80 }) },
  { weight: 3, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.constantFrom('<script>alert(1)</script>', '<a href="javascript:alert(1)">x</a>', '<img src=x onerror=alert(1)>', '.\r\n.\r\n', '\r\n.\r\nMAIL FROM:<x@evil.test>\r\n', '=\r\n=3D', '') },
  { weight: 1, arbitrary: fc.constantFrom(10_000, 100_000, 400_000).map((n) => 'lorem ipsum '.repeat(n / 12)).chain((big) => fc.oneof({ weight: 5, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constant(big) })) },
);

/** A send request shaped like the schema, with hostile or wrongly typed values. */
const plausibleSend: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.record(
      {
        from: field(mailbox),
        to: recipients,
        cc: recipients,
        bcc: recipients,
        replyTo: field(mailbox),
        subject: field(fc.oneof({ weight: 3, arbitrary: fc.string({ maxLength: 40 }) }, { weight: 3, arbitrary: hostileOrHuge })),
        html: field(bodyText),
        text: field(bodyText),
        headers: customHeaders,
        attachments,
      },
      { requiredKeys: [] },
    ),
    rarely(extraKeys, 8),
  )
  .map(([obj, extras]) => withExtras(obj, extras));

/** A send request more likely to be accepted: required fields present, hostile values elsewhere. */
const nearValidSend: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.record({ from: mailbox, to: fc.oneof(goodAddress, fc.array(goodAddress, { minLength: 1, maxLength: 3 })), subject: fc.oneof(fc.string({ maxLength: 40 }), hostileString), text: bodyText }),
    fc.record({ html: bodyText, cc: fc.array(mailbox, { maxLength: 2 }), replyTo: mailbox, headers: customHeaders, attachments }, { requiredKeys: [] }),
  )
  .map(([req, opt]) => ({ ...req, ...opt }));

const sendBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  { weight: 3, arbitrary: garbageBody },
  { weight: 4, arbitrary: plausibleSend.map((o) => JSON.stringify(o)) },
  { weight: 3, arbitrary: nearValidSend.map((o) => JSON.stringify(o)) },
);

/** Raw multipart/form-data, written by hand so names, file names and structure can be hostile. */
const multipartCase: fc.Arbitrary<{ contentType: string; body: string }> = fc
  .tuple(
    fc.array(
      fc.record({
        name: fc.oneof(fc.constantFrom('from', 'to', 'cc', 'bcc', 'replyTo', 'subject', 'text', 'html', 'headers', 'attachments', 'file'), hostileString),
        filename: fc.option(filename, { freq: 3 }),
        contentType: fc.option(fc.oneof(fc.constantFrom('text/plain', 'application/json', 'application/octet-stream'), hostileString), { freq: 3 }),
        value: fc.oneof(mailbox, goodAddress, fc.string({ maxLength: 40 }), hostileString, fc.json()),
      }),
      { maxLength: 8 },
    ),
    fc.oneof(fc.constant('b0undary'), fc.stringMatching(/^[A-Za-z0-9'()+_,./:=?-]{1,70}$/)),
    fc.constantFrom('ok', 'ok', 'ok', 'no-boundary', 'wrong-boundary', 'truncated', 'no-final'),
  )
  .map(([parts, boundary, shape]) => {
    const quote = (s: string) => s.replace(/"/g, '%22');
    const body = parts
      .map((p) => {
        const disposition = `form-data; name="${quote(p.name)}"${p.filename === null ? '' : `; filename="${quote(p.filename)}"`}`;
        return `--${boundary}\r\nContent-Disposition: ${disposition}\r\n${p.contentType === null ? '' : `Content-Type: ${p.contentType}\r\n`}\r\n${p.value}\r\n`;
      })
      .join('');
    const closed = shape === 'no-final' ? body : `${body}--${boundary}--\r\n`;
    const text = shape === 'truncated' ? closed.slice(0, Math.floor(closed.length / 2)) : shape === 'wrong-boundary' ? closed.replaceAll(boundary, 'other') : closed;
    return { contentType: shape === 'no-boundary' ? 'multipart/form-data' : `multipart/form-data; boundary=${boundary}`, body: text };
  });

/** Idempotency-Key headers: mostly absent; random ones never collide with a real replay. */
const idempotencyHeader = rarely(
  fc.oneof(fc.uuid().map((u) => `fuzz-${u}`), fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((n) => String.fromCharCode(n)), maxLength: 300 }).map((s) => s || 'x')),
  8,
);

const contentTypes = fc.oneof(
  { weight: 20, arbitrary: fc.constant('application/json') },
  { weight: 1, arbitrary: fc.constantFrom('application/json; charset=utf-8', 'application/json; charset=latin1', 'APPLICATION/JSON', 'text/plain', 'application/x-www-form-urlencoded', 'application/jsonx', 'application/*', '*/*', 'multipart/mixed; boundary=x', '') },
);

const sendCase = (apiKey: string, path: '/v1/send' | '/v1/send/batch', body: fc.Arbitrary<string | Uint8Array>, batchItems?: (body: string | Uint8Array) => number | undefined) =>
  fc.tuple(body, contentTypes, idempotencyHeader).map(([b, contentType, key]): Case => {
    const headers: Record<string, string> = { authorization: `Bearer ${apiKey}` };
    if (contentType) headers['content-type'] = contentType;
    if (key !== null) headers['idempotency-key'] = key;
    const items = contentType === 'application/json' ? batchItems?.(b) : undefined;
    return { method: 'POST', path, headers, body: b, ...(items === undefined ? {} : { batchItems: items }) };
  });

const sendCases = (apiKey: string): fc.Arbitrary<Case> =>
  fc.oneof(
    { weight: 9, arbitrary: sendCase(apiKey, '/v1/send', sendBody) },
    {
      weight: 1,
      arbitrary: fc.tuple(multipartCase, idempotencyHeader).map(([m, key]): Case => ({
        method: 'POST',
        path: '/v1/send',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': m.contentType, ...(key === null ? {} : { 'idempotency-key': key }) },
        body: m.body,
      })),
    },
  );

/** The number of items of a batch body the API will answer one by one, if it parses as a 1-500 array. */
const batchLength = (b: string | Uint8Array): number | undefined => {
  try {
    const v: unknown = JSON.parse(typeof b === 'string' ? b : Buffer.from(b).toString('utf8'));
    return Array.isArray(v) && v.length >= 1 && v.length <= 500 ? v.length : undefined;
  } catch {
    return undefined;
  }
};

const batchItem = fc.oneof(
  { weight: 4, arbitrary: plausibleSend as fc.Arbitrary<unknown> },
  { weight: 2, arbitrary: nearValidSend as fc.Arbitrary<unknown> },
  { weight: 2, arbitrary: fc.anything({ maxDepth: 3 }) },
  { weight: 1, arbitrary: wrongType },
);
const batchBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  { weight: 3, arbitrary: garbageBody },
  { weight: 8, arbitrary: fc.array(batchItem, { minLength: 1, maxLength: 5 }).map((a) => JSON.stringify(a)) },
  { weight: 1, arbitrary: fc.constantFrom(0, 500, 501, 1000).map((n) => JSON.stringify(Array.from({ length: n }, () => ({})))) },
  { weight: 1, arbitrary: fc.integer({ min: 5_000, max: 60_000 }).map((d) => `[${deepJsonText(d, true)}]`) },
);
const batchCases = (apiKey: string): fc.Arbitrary<Case> => sendCase(apiKey, '/v1/send/batch', batchBody, batchLength);

// ---------------------------------------------------------------------------------------------
// Admin requests.

/** Known ids the admin fuzz aims at, besides random ones. */
interface AdminTargets {
  poolId: string;
  bridgeId: string;
  hookBridgeId: string;
}

/** Path segments: the known id, random ids, hostile text (percent-encoded) and raw malformed escapes. */
const pathId = (known: string) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant(known) },
    { weight: 1, arbitrary: fc.stringMatching(/^br_[A-Za-z0-9]{1,30}$/) },
    { weight: 2, arbitrary: hostileString.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '')).slice(0, 1000).replace(/%[0-9A-F]?$/, '') || '%20') },
    { weight: 1, arbitrary: fc.constantFrom('%00', '%E0%A4%A', '%', '%zz', '..', '%2e%2e', '%2F', `${known}%00`, `${known}%0d%0a`, 'x'.repeat(2000)) },
  );

const adminName = fc.oneof({ weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 20 }).map((s) => `fz ${s}`) }, { weight: 3, arbitrary: hostileString }, { weight: 1, arbitrary: fc.constantFrom(' ', '', 'x'.repeat(100), 'x'.repeat(101)) });

/** Pool IPs: a small finite set (so at most a few dozen Pools get created), used ones, and hostile text. */
const poolIp = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 100, max: 119 }).map((n) => `127.0.0.${n}`) },
  { weight: 1, arbitrary: fc.constantFrom('127.0.0.2', '::1', '::ffff:127.0.0.50', 'fe80::1%eth0', '0.0.0.0', '255.255.255.255') },
  { weight: 2, arbitrary: fc.constantFrom('127.0.0.256', '127.0.0.0100', '0x7f.1', '127.1', '1.2.3', '1.2.3.4.5', ':::', '[::1]', ' 127.0.0.100', '127.0.0.100\n', '') },
  { weight: 2, arbitrary: hostileString },
);
const weight = field(fc.oneof(fc.integer({ min: -5, max: 1005 }), fc.double(), fc.constantFrom(0, 1000, 1000.5, -0)));

const poolBody = fc
  .tuple(
    fc.record(
      {
        name: field(adminName),
        ips: field(
          fc.oneof(
            { weight: 5, arbitrary: fc.array(fc.oneof(poolIp, fc.record({ ip: field(poolIp), weight }, { requiredKeys: [] }), wrongType), { maxLength: 4 }) },
            { weight: 1, arbitrary: fc.constant(Array.from({ length: 257 }, (_, i) => `10.9.${i >> 8}.${i & 255}`)) },
          ),
        ),
      },
      { requiredKeys: [] },
    ),
    rarely(extraKeys, 8),
  )
  .map(([o, e]) => withExtras(o, e));

const bridgeBody = (t: AdminTargets) =>
  fc
    .tuple(
      fc.record(
        {
          name: field(adminName),
          poolId: field(fc.oneof({ weight: 3, arbitrary: fc.constant(t.poolId) }, { weight: 1, arbitrary: fc.stringMatching(/^pool_[a-z0-9]{1,20}$/) }, { weight: 2, arbitrary: hostileString })),
          trackOpens: field(fc.boolean()),
          trackClicks: field(fc.boolean()),
        },
        { requiredKeys: [] },
      ),
      rarely(extraKeys, 8),
    )
    .map(([o, e]) => withExtras(o, e));

const trackingBaseUrl = fc.oneof(
  fc.constant(null),
  fc.constantFrom('https://t.example.test', 'http://t.example.test/base', 'javascript:alert(1)', 'https://t.example.test/?q=1', 'https://t.example.test/#x', 'https://', 'https://a b', 'http://127.0.0.1:1/'),
  fc.webUrl(),
  hostileString,
);
const bridgePatchBody = fc
  .tuple(
    fc.record(
      { name: field(adminName), trackOpens: field(fc.boolean()), trackClicks: field(fc.boolean()), trackingBaseUrl: field(trackingBaseUrl), poolId: field(hostileString) },
      { requiredKeys: [] },
    ),
    rarely(extraKeys, 8),
  )
  .map(([o, e]) => withExtras(o, e))
  // poolId is refused outright; keep it rare so the other fields get exercised.
  .chain((o) => fc.boolean().map((keepPool) => (keepPool ? o : Object.fromEntries(Object.entries(o).filter(([k]) => k !== 'poolId')))));

const suppressionBody = (t: AdminTargets) =>
  fc
    .tuple(
      fc.record(
        {
          address: field(fc.oneof({ weight: 3, arbitrary: goodAddress }, { weight: 2, arbitrary: mailbox }, { weight: 1, arbitrary: fc.constant(`${'a'.repeat(64)}@${'b'.repeat(250)}.test`) })),
          bridgeId: fc.oneof(fc.constant(null), fc.constant(t.bridgeId), fc.stringMatching(/^br_[a-z0-9]{1,20}$/), hostileString, wrongType),
          reason: field(fc.oneof(fc.constantFrom('manual', 'hard_bounce', 'complaint', 'a.b-c_d'), hostileString)),
        },
        { requiredKeys: [] },
      ),
      rarely(extraKeys, 8),
    )
    .map(([o, e]) => withExtras(o, e));

/**
 * Webhook URLs: public IP literals (accepted; the Bridge they hang on sends no mail, so nothing is
 * ever delivered to them), private and loopback ones (refused), unresolvable names, other schemes.
 */
const webhookUrl = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom('http', 'https'), fc.constantFrom('93.184.216.34', '[2606:2800:220:1:248:1893:25c8:1946]', '1.1.1.1'), fc.webPath()).map(([s, h, p]) => `${s}://${h}${p}`) },
  { weight: 2, arbitrary: fc.constantFrom('http://127.0.0.1/hook', 'http://localhost/', 'http://10.0.0.1/', 'http://169.254.169.254/latest/meta-data/', 'http://[::1]/', 'http://0x7f.1/', 'http://2130706433/', 'http://[::ffff:127.0.0.1]/') },
  { weight: 2, arbitrary: fc.constantFrom('ftp://93.184.216.34/', 'javascript:alert(1)', 'file:///etc/passwd', 'gopher://1.1.1.1/', 'http://', 'http:///x', '//1.1.1.1/', 'http://fuzz.invalid/', `http://1.1.1.1/${'a'.repeat(2000)}`) },
  { weight: 1, arbitrary: fc.webUrl({ withQueryParameters: true, withFragments: true }).map((u) => u.replace(/\/\/[^/:]+/, '//fuzz-host.invalid')) },
  { weight: 2, arbitrary: hostileString },
);
const webhookBody = fc
  .tuple(
    fc.record(
      {
        url: field(webhookUrl),
        eventTypes: field(
          fc.oneof(
            { weight: 4, arbitrary: fc.subarray([...EVENT_TYPES]) },
            { weight: 1, arbitrary: fc.array(fc.oneof(fc.constantFrom(...EVENT_TYPES), hostileString), { maxLength: 4 }) },
            { weight: 1, arbitrary: fc.constant([...EVENT_TYPES, ...EVENT_TYPES]) },
          ),
        ),
      },
      { requiredKeys: [] },
    ),
    rarely(extraKeys, 8),
  )
  .map(([o, e]) => withExtras(o, e));

const adminCases = (adminToken: string, t: AdminTargets): fc.Arbitrary<Case> => {
  const json = (method: string, path: fc.Arbitrary<string>, plausible: fc.Arbitrary<Record<string, unknown>>) =>
    fc
      .tuple(path, fc.oneof({ weight: 3, arbitrary: plausible.map((o) => JSON.stringify(o)) as fc.Arbitrary<string | Uint8Array> }, { weight: 1, arbitrary: garbageBody }), contentTypes)
      .map(([p, body, contentType]): Case => ({
        method,
        path: p,
        headers: { authorization: `Bearer ${adminToken}`, ...(contentType ? { 'content-type': contentType } : {}) },
        body,
      }));
  return fc.oneof(
    json('POST', fc.constant('/admin/v1/pools'), poolBody),
    json('POST', fc.constant('/admin/v1/bridges'), bridgeBody(t)),
    json('PATCH', pathId(t.bridgeId).map((id) => `/admin/v1/bridges/${id}`), bridgePatchBody),
    json('POST', fc.constant('/admin/v1/suppressions'), suppressionBody(t)),
    json('POST', pathId(t.hookBridgeId).map((id) => `/admin/v1/bridges/${id}/webhooks`), webhookBody),
  );
};

// ---------------------------------------------------------------------------------------------

describe('fuzzing the HTTP bodies: only 2xx/4xx with a shipped error code, never 5xx', () => {
  // The auth limiter is raised for the one test that fuzzes Authorization headers; the bulk
  // runs always send valid credentials.
  const h = useHarness({
    BRIDGEMAIL_AUTH_FAIL_PER_ADDRESS: '1000000',
    BRIDGEMAIL_AUTH_FAIL_PER_PRINCIPAL: '1000000',
    BRIDGEMAIL_MAX_MESSAGE_BYTES: String(4 * 1024 * 1024),
  });
  let bridge: any;
  let targets: AdminTargets;
  let knownGood = 0;

  /** A valid send and a valid admin read still work; the valid message reaches the sink. */
  const stillServing = async () => {
    const to = `known-good-${knownGood++}-${Date.now()}@example.test`;
    const res = await h.platform.send(bridge.apiKey, { from: 'app@sender.test', to, subject: 'still alive', text: 'ok' });
    expect(res.status).toBe(202);
    expect((await h.platform.admin('GET', `/admin/v1/bridges/${bridge.id}`)).status).toBe(200);
    await waitFor(() => h.sink.messages.some((m) => m.to.includes(to)), 120_000, `the known-good message to ${to}`);
  };

  // The platform runs in this process: an exception nobody catches would kill a real one.
  const uncaught: string[] = [];
  const onUncaught = (err: Error) => uncaught.push(`${err.name}: ${err.message}\n${err.stack ?? ''}`.slice(0, 800));

  afterAll(() => {
    process.off('uncaughtException', onUncaught);
  });

  beforeAll(async () => {
    process.on('uncaughtException', onUncaught);
    console.log(`[fuzz] seed=${SEED} runs=${RUNS} (FUZZ_SEED / FUZZ_RUNS to change)`);
    const pool = await h.platform.createPool('fuzz', ['127.0.0.2']);
    bridge = await h.platform.createBridge('fuzz-send', pool.id);
    const patchTarget = await h.platform.createBridge('fuzz-patch', pool.id);
    const hooks = await h.platform.createBridge('fuzz-hooks', pool.id);
    targets = { poolId: pool.id, bridgeId: patchTarget.id, hookBridgeId: hooks.id };
  });

  it(`POST /v1/send: ${RUNS} cases`, async () => {
    const report = await fuzzFamily('send', h.platform.urls.api, sendCases(bridge.apiKey), RUNS);
    await stillServing();
    expectNoViolations(report);
  }, 600_000);

  it(`POST /v1/send/batch: ${RUNS} cases`, async () => {
    const report = await fuzzFamily('batch', h.platform.urls.api, batchCases(bridge.apiKey), RUNS);
    await stillServing();
    expectNoViolations(report);
  }, 600_000);

  it(`admin bodies (pools, bridges, bridge patch, suppressions, webhooks): ${RUNS} cases`, async () => {
    const report = await fuzzFamily('admin', h.platform.urls.admin, adminCases(h.platform.adminToken, targets), RUNS);
    await stillServing();
    expectNoViolations(report);
  }, 600_000);

  it(`Authorization headers (limiter raised): ${AUTH_RUNS} cases`, async () => {
    const latin1 = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).filter((n) => n !== 0x7f).map((n) => String.fromCharCode(n)), maxLength: 120 });
    const authValue = fc.oneof(
      latin1,
      latin1.map((s) => `Bearer ${s}`),
      fc.constantFrom('Bearer', 'Bearer ', 'bearer bm_', 'Basic Zm9vOmJhcg==', 'Bearer a b', `Bearer ${'x'.repeat(8192)}`),
      fc.constantFrom(bridge.apiKey, h.platform.adminToken).chain((k) => fc.constantFrom(`Bearer ${k}x`, `Bearer ${k.slice(0, -1)}`, `Bearer ${k.toUpperCase()}`, `Token ${k}`)),
    );
    const authCase = fc.tuple(fc.constantFrom('send', 'admin'), fc.option(authValue, { freq: 20 })).map(([where, auth]): Case => ({
      method: 'POST',
      path: where === 'send' ? '/v1/send' : '/admin/v1/suppressions',
      headers: { 'content-type': 'application/json', ...(auth === null ? {} : { authorization: auth }) },
      body: where === 'send' ? JSON.stringify({ from: 'app@sender.test', to: 'auth-fuzz@example.test', subject: 's', text: 't' }) : JSON.stringify({ address: 'auth-fuzz@example.test' }),
    }));
    const report = await fuzzFamily('auth', '', authCase.map((c) => ({ ...c, path: `${c.path.startsWith('/admin') ? h.platform.urls.admin : h.platform.urls.api}${c.path}` })), AUTH_RUNS);
    // Wrong credentials are refused, never accepted.
    expect(Object.keys(report.byStatus).filter((s) => s !== '401' && s !== '429' && s !== '0')).toEqual([]);
    await stillServing();
    expectNoViolations(report);
  }, 300_000);

  it('ids and names with a NUL byte are refused with a 4xx, not a database error', async () => {
    // Found by the admin fuzz: PostgreSQL text cannot hold NUL (22021), and some ids reach SQL unvalidated.
    const probes: Case[] = [
      { method: 'PATCH', path: '/admin/v1/bridges/%00', headers: {}, body: '{}' },
      { method: 'GET', path: '/admin/v1/bridges/%00', headers: {}, body: undefined },
      { method: 'GET', path: '/admin/v1/pools/a%00b', headers: {}, body: undefined },
      { method: 'GET', path: '/admin/v1/domains/%00', headers: {}, body: undefined },
      { method: 'DELETE', path: '/admin/v1/suppressions/%00', headers: {}, body: undefined },
      { method: 'POST', path: '/admin/v1/bridges', headers: {}, body: JSON.stringify({ name: 'nul', poolId: 'pool\u0000' }) },
      { method: 'POST', path: '/admin/v1/suppressions', headers: {}, body: JSON.stringify({ address: 'nul@example.test', bridgeId: 'br\u0000' }) },
      { method: 'POST', path: `/admin/v1/bridges/%00/webhooks`, headers: {}, body: JSON.stringify({ url: 'http://93.184.216.34/hook', eventTypes: ['delivered'] }) },
      { method: 'POST', path: `/admin/v1/bridges/${targets.hookBridgeId}/webhooks`, headers: {}, body: JSON.stringify({ url: 'http://93.184.216.34/ho\u0000ok', eventTypes: ['delivered'] }) },
    ];
    const failures: string[] = [];
    for (const p of probes) {
      const c = { ...p, headers: { authorization: `Bearer ${h.platform.adminToken}`, 'content-type': 'application/json' } };
      const o = await exchange(h.platform.urls.admin, c);
      const why = violation('admin', c, o);
      if (why) failures.push(`${describeCase({ ...c, headers: {} })} → ${o.status} ${o.text} (${why})`);
    }
    expect(failures).toEqual([]);
  });

  it('IP weights too small for the float4 column are refused with a 400, not a database error', async () => {
    // Found by the admin fuzz: the schema takes any number in [0, 1000]; pool_ips.weight is `real`.
    const failures: string[] = [];
    const probes: [string, string, unknown][] = [
      ['POST', '/admin/v1/pools', { name: 'tiny weight', ips: [{ ip: '127.0.0.160', weight: 1e-50 }] }],
      ['POST', `/admin/v1/pools/${targets.poolId}/ips`, { ip: '127.0.0.161', weight: 1e-50 }],
      ['PATCH', `/admin/v1/pools/${targets.poolId}/ips/127.0.0.2`, { weight: 1e-50 }],
    ];
    for (const [method, path, body] of probes) {
      const c: Case = { method, path, headers: { authorization: `Bearer ${h.platform.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) };
      const o = await exchange(h.platform.urls.admin, c);
      const why = violation('admin', c, o);
      if (why) failures.push(`${describeCase({ ...c, headers: {} })} → ${o.status} ${o.text} (${why})`);
    }
    expect(failures).toEqual([]);
  });

  it('names and ids with a lone surrogate are refused or applied whole, never half-applied behind a 500', async () => {
    // Found by the admin fuzz: a lone UTF-16 surrogate passes validation and the row is written
    // (text columns store U+FFFD), then the audit entry's jsonb refuses "\ud800": the change
    // stays, the caller gets a 500 and no process is told about the change.
    const target = await h.platform.createBridge('surrogate-target', targets.poolId);
    const failures: string[] = [];
    const attempt = async (method: string, path: string, body: unknown, applied: () => Promise<boolean>) => {
      const c: Case = { method, path, headers: { authorization: `Bearer ${h.platform.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) };
      const o = await exchange(h.platform.urls.admin, c);
      const why = violation('admin', c, o);
      if (why) failures.push(`${describeCase({ ...c, headers: {} })} → ${o.status} ${o.text} (${why}; change applied anyway: ${await applied()})`);
    };
    await attempt('PATCH', `/admin/v1/bridges/${target.id}`, { name: 'renamed \ud800' }, async () =>
      String((await h.platform.admin('GET', `/admin/v1/bridges/${target.id}`)).body.name).startsWith('renamed'),
    );
    await attempt('POST', '/admin/v1/suppressions', { address: 'surrogate@example.test', bridgeId: 'br_\udfff' }, async () =>
      ((await h.platform.admin('GET', '/admin/v1/suppressions?search=surrogate%40example.test')).body.data as unknown[]).length > 0,
    );
    await attempt('POST', '/admin/v1/pools', { name: 'pool \ud800', ips: ['127.0.0.150'] }, async () =>
      ((await h.platform.admin('GET', '/admin/v1/pools')).body.data as { ips: string[] }[]).some((p) => p.ips.includes('127.0.0.150')),
    );
    await attempt('POST', '/admin/v1/bridges', { name: 'bridge \udfff', poolId: targets.poolId }, async () =>
      ((await h.platform.admin('GET', '/admin/v1/bridges')).body.data as { name: string }[]).some((b) => b.name.startsWith('bridge \ufffd')),
    );
    expect(failures).toEqual([]);
  });

  it('a multipart body that ends inside a file part is refused without an uncaught exception', async () => {
    const before = uncaught.length;
    const boundary = 'cut0ff';
    const full =
      `--${boundary}\r\nContent-Disposition: form-data; name="from"\r\n\r\napp@sender.test\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello, this file never ends`;
    const res = await fetch(`${h.platform.urls.api}/v1/send`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bridge.apiKey}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: full,
    });
    const o = { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
    expect(violation('send', { method: 'POST', path: '/v1/send', headers: {} }, o)).toBeUndefined();
    expect(o.status).toBe(400);
    // Let the request's stream events run out, then serve another request.
    await stillServing();
    expect(uncaught.slice(before)).toEqual([]);
  });

  it('no exception escaped any handler while fuzzing', () => {
    expect(uncaught).toEqual([]);
  });

  it('logged no unexpected request failure', () => {
    // Every 5xx above logs one of these; grouped by route and error for a readable report.
    const failures = new Map<string, number>();
    for (const line of h.platform.logs) {
      if (!/"msg":"(request failed|batch message failed)"/.test(line)) continue;
      const entry = JSON.parse(line) as { msg: string; method?: string; path?: string; err?: { type?: string; message?: string; stack?: string } };
      const where = entry.err?.stack?.split('\n').find((f) => /\/work\/main\/(?!node_modules)/.test(f) || /at (?!JSON|process|Array)/.test(f))?.trim();
      const path = entry.path?.replace(/^(\/admin\/v1\/bridges\/)[^/]+/, '$1:id');
      const key = `${entry.msg}: ${entry.method ?? ''} ${path ?? ''} ${entry.err?.type}: ${entry.err?.message} (${where ?? '?'})`;
      failures.set(key, (failures.get(key) ?? 0) + 1);
    }
    expect([...failures].map(([k, n]) => `${n}× ${k}`)).toEqual([]);
  });
});
