import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { runSmtpSource, type SmtpSink } from './postfix.js';

// How bench/throughput.ts runs one case and prints it: bounded submission, waiting for the sink,
// and the ratios to the baselines measured earlier in the same run.

/** smtp-source sessions and body size of the `smtp-source` and `postfix-relay` cases. */
export const SOURCE_SESSIONS = 20;
export const BODY_BYTES = 4096;
/** The most one case may take; it then prints what it reached. */
export const CASE_CAP_MS = 120_000;
/** After a capped case: how long the sink must stay still, and the most we wait for that. */
const QUIET_MS = 2_000;
const SETTLE_CAP_MS = 60_000;

/** What one case reached; `submitSeconds` is until the last submission was answered (ingress alone). */
export interface CaseResult {
  delivered: number;
  accepted: number;
  seconds: number;
  submitSeconds: number;
  errors: number;
  firstError: string | undefined;
  capped: boolean;
  /** CPU seconds of a load generator running in its own process, when there is one. */
  clientCpuSeconds?: number;
}

/** Submits unit `i` (a message, or a batch); resolves with how many messages were accepted. */
export type SubmitUnit = (i: number) => Promise<{ accepted: number; error?: string }>;

/**
 * Submits `units` units with at most `concurrency` in flight, then waits until the sink has
 * received as many messages as were accepted; both bounded by CASE_CAP_MS.
 */
export async function runCase(
  sink: SmtpSink,
  units: number,
  concurrency: number,
  submit: SubmitUnit,
): Promise<CaseResult> {
  const base = sink.received();
  const start = performance.now();
  const deadline = start + CASE_CAP_MS;
  let [next, accepted, errors] = [0, 0, 0];
  let firstError: string | undefined;
  const worker = async () => {
    while (next < units && performance.now() < deadline) {
      const unit = next++;
      try {
        const r = await submit(unit);
        accepted += r.accepted;
        if (r.error !== undefined) {
          errors++;
          firstError ??= r.error;
        }
      } catch (err) {
        errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, units) }, worker));
  const submitEnd = performance.now();
  const reachedAt = await sink.waitFor(base + accepted, deadline);
  const delivered = sink.received() - base;
  const capped = reachedAt === undefined || next < units;
  const seconds = ((reachedAt ?? performance.now()) - start) / 1000;
  return { delivered, accepted, seconds, submitSeconds: (submitEnd - start) / 1000, errors, firstError, capped };
}

/** Feeds `port` with smtp-source and times until the sink has all `n` messages. */
export async function runSource(sink: SmtpSink, port: number, n: number): Promise<CaseResult> {
  const base = sink.received();
  const start = performance.now();
  const submitSeconds = await runSmtpSource({
    port,
    messages: n,
    sessions: SOURCE_SESSIONS,
    size: BODY_BYTES,
    timeoutMs: CASE_CAP_MS,
  });
  const reachedAt = await sink.waitFor(base + n, start + CASE_CAP_MS);
  const delivered = sink.received() - base;
  const seconds = ((reachedAt ?? performance.now()) - start) / 1000;
  return {
    delivered,
    accepted: n,
    seconds,
    submitSeconds,
    errors: 0,
    firstError: undefined,
    capped: reachedAt === undefined,
  };
}

/** Waits (bounded) until the sink has counted nothing new for QUIET_MS: stragglers of a capped case. */
export async function settle(sink: SmtpSink): Promise<void> {
  const deadline = performance.now() + SETTLE_CAP_MS;
  let [last, stillSince] = [sink.received(), performance.now()];
  while (performance.now() < deadline && performance.now() - stillSince < QUIET_MS) {
    await sleep(200);
    if (sink.received() !== last) [last, stillSince] = [sink.received(), performance.now()];
  }
}

/** Rates the ratios are taken against; undefined until measured. */
export const baselines: { nodemailer?: number; postfix?: number } = {};

/** Prints one case: msg/s and its ratios to the baselines known so far; `baseline` records it as one. */
export function report(name: string, r: CaseResult, baseline?: keyof typeof baselines, adjacent?: CaseResult): void {
  const perSecond = r.delivered / r.seconds;
  // This machine's speed drifts within a run: the same baseline measured right before the case.
  const next = adjacent
    ? `  ${(perSecond / (adjacent.delivered / adjacent.seconds)).toFixed(2)}× nodemailer run just before it (${(adjacent.delivered / adjacent.seconds).toFixed(0)} msg/s)`
    : '';
  if (baseline) baselines[baseline] = perSecond;
  const ratio = (base: number | undefined, label: string) =>
    `${base ? (perSecond / base).toFixed(2) : '   -'}× ${label}`;
  const notes = [
    r.capped ? `capped at ${CASE_CAP_MS / 1000} s: ${r.delivered}/${r.accepted} accepted reached the sink` : '',
    r.errors ? `${r.errors} submission errors, first: ${r.firstError ?? ''}` : '',
  ].filter(Boolean);
  console.log(
    `${name.padEnd(22)} ${String(r.delivered).padStart(6)} msgs ${perSecond.toFixed(0).padStart(6)} msg/s  ${ratio(baselines.nodemailer, 'nodemailer')}  ${ratio(baselines.postfix, 'postfix')}  (${r.seconds.toFixed(2)} s; submitted in ${r.submitSeconds.toFixed(2)} s)${next}${notes.length ? `  [${notes.join('; ')}]` : ''}`,
  );
}
