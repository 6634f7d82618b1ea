import fc from 'fast-check';
import { expect } from 'vitest';
import { ERROR_CODES } from '../../core/index.js';

// The runner of test/integration/fuzz-http.test.ts: sends sampled cases, checks the property, shrinks a violation.

export const SEED = Number(process.env.FUZZ_SEED ?? 0xb1d9e);
export const RUNS = Math.max(1, Number(process.env.FUZZ_RUNS ?? 10_000));
export const AUTH_RUNS = Math.max(1, Math.ceil(RUNS / 20));
export const CONCURRENCY = 16;
export const SHRINK_BUDGET_MS = 10_000;
export const CODES = new Set(Object.keys(ERROR_CODES));

// ---------------------------------------------------------------------------------------------
// Requests and the property every answer must satisfy.

/** One fuzzed HTTP request. */
export interface Case {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  /** Items of a batch body that parsed as an array (to match the per-item answers). */
  batchItems?: number;
}

export interface Outcome {
  status: number;
  contentType: string;
  text: string;
}

export type Family = 'send' | 'batch' | 'admin' | 'auth';

export async function exchange(baseUrl: string, c: Case): Promise<Outcome> {
  try {
    const res = await fetch(`${baseUrl}${c.path}`, {
      method: c.method,
      headers: c.headers,
      ...(c.body === undefined ? {} : { body: c.body }),
    });
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
  } catch (err) {
    // A reset or closed connection: the server did not answer at all.
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return {
      status: 0,
      contentType: '',
      text: `fetch failed: ${String((err as Error).message)} ${cause?.code ?? ''} ${cause?.message ?? ''}`,
    };
  }
}

export const isErrorBody = (v: unknown): v is { error: { code: string; message: string; field?: unknown } } =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as { error?: unknown }).error === 'object' &&
  (v as { error: unknown }).error !== null;

/** Why an error object is not one we ship, or undefined when it is. */
export function badError(e: { code: unknown; message: unknown; field?: unknown }): string | undefined {
  if (typeof e.code !== 'string' || !CODES.has(e.code))
    return `error.code ${JSON.stringify(e.code)} is not in ERROR_CODES`;
  if (ERROR_CODES[e.code as keyof typeof ERROR_CODES].http >= 500) return `error.code ${e.code} is a server error`;
  if (typeof e.message !== 'string') return 'error.message is not a string';
  if (e.field !== undefined && typeof e.field !== 'string') return 'error.field is not a string';
  return undefined;
}

/** The property: undefined when the answer is acceptable, else what is wrong with it. */
export function violation(family: Family, c: Case, o: Outcome): string | undefined {
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
    if (c.batchItems !== undefined && data.length !== c.batchItems)
      return `${data.length} results for ${c.batchItems} messages`;
    for (const [i, item] of data.entries()) {
      if ((item as { index?: unknown }).index !== i)
        return `result ${i} has index ${String((item as { index?: unknown }).index)}`;
      if (isErrorBody(item)) {
        const bad = badError(item.error);
        if (bad) return `result ${i}: ${bad}`;
      } else if (!/^msg_/.test(String((item as { id?: unknown }).id))) return `result ${i} has neither id nor error`;
    }
  }
  return undefined;
}

export const show = (v: unknown, max = 600) => {
  const text =
    typeof v === 'string'
      ? JSON.stringify(v)
      : v instanceof Uint8Array
        ? `<${v.length} bytes> ${JSON.stringify(Buffer.from(v).toString('latin1'))}`
        : JSON.stringify(v);
  return text === undefined ? String(text) : text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
};
export const routeOf = (c: Case) =>
  `${c.method} ${c.path.replace(/^https?:\/\/[^/]+/, '').replace(/^(\/admin\/v1\/bridges\/)[^/]+/, '$1:id')}`;
export const describeCase = (c: Case) =>
  `${c.method} ${show(c.path, 200)} headers=${show(c.headers, 300)} body=${show(c.body)}`;

export interface Violation {
  index: number;
  /** Method and path, ids generalised: violations are grouped by it. */
  route: string;
  request: string;
  status: number;
  response: string;
  why: string;
}

export interface FamilyReport {
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
export async function fuzzFamily(
  family: Family,
  baseUrl: string,
  arb: fc.Arbitrary<Case>,
  runs: number,
): Promise<FamilyReport> {
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
      if (why)
        violations.push({
          index: i,
          route: routeOf(c),
          request: describeCase(c),
          status: o.status,
          response: o.text.slice(0, 400),
          why,
        });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  violations.sort((a, b) => a.index - b.index);
  const report: FamilyReport = {
    family,
    cases: cases.length,
    ms: Date.now() - started,
    generatedMs,
    byStatus,
    violations,
  };
  const first = violations[0];
  if (first) {
    const shrink = await fc.check(
      fc.asyncProperty(arb, async (c) => violation(family, c, await exchange(baseUrl, c)) === undefined),
      {
        seed: SEED,
        path: String(first.index),
        numRuns: runs,
        endOnFailure: false,
        interruptAfterTimeLimit: SHRINK_BUDGET_MS,
        markInterruptAsFailure: false,
      },
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
export function expectNoViolations(report: FamilyReport) {
  const distinct = new Map<string, Violation & { count: number }>();
  for (const v of report.violations) {
    const key = `${v.route} ${v.status} ${v.why}`;
    const seen = distinct.get(key);
    if (seen) seen.count++;
    else distinct.set(key, { ...v, count: 1 });
  }
  const summary = [...distinct.values()].map(
    (v) => `${v.count}× ${v.route}: ${v.why} (first #${v.index}): ${v.request} → ${v.status} ${v.response}`,
  );
  expect(summary, `seed ${SEED}${report.shrunk ? `; shrunk: ${report.shrunk}` : ''}`).toEqual([]);
}

// ---------------------------------------------------------------------------------------------
// Values: hostile strings, wrong types, deep nesting, garbage bodies.
