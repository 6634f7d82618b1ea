import { expect } from 'vitest';
import { submissionTransport } from './smtp-client.js';
import type { SmtpSink } from './smtp-sink.js';
import type { TestPlatform } from './test-platform.js';
import { waitFor } from './wait.js';

/** A send that was not accepted: what the ingress answered instead. */
export interface Refusal {
  via: 'rest' | 'smtp';
  status: number;
  code: string;
  retryAfter: string | null;
}

/** What a run through a Redis failover showed. */
export interface FailoverFigures {
  accepted: string[];
  refusals: Refusal[];
  /** Accepted recipients never delivered (must be none). */
  lost: string[];
  /** Deliveries beyond the first of a recipient (at-least-once allows them; reported). */
  duplicates: number;
  /** From the kill to the first acceptance after the last refusal, ms (0 when nothing was refused). */
  recoveredMs: number;
}

/**
 * Sends `messages` messages of one Bridge (REST lanes, and one SMTP lane for a tenth of them),
 * each retried until accepted; once a third is accepted, runs `kill` (a Redis primary dies). Then
 * waits until every accepted recipient is at the sink and counts the lost and the duplicates.
 */
export async function sendThroughFailover(
  platform: TestPlatform,
  sink: SmtpSink,
  options: { messages: number; lanes: number; label: string; ip: string; kill: (poolId: string) => Promise<void> },
): Promise<FailoverFigures> {
  const pool = await platform.createPool(options.label, [options.ip]);
  const bridge = await platform.createBridge(options.label, pool.id, { trackOpens: false, trackClicks: false });
  const accepted: string[] = [];
  const refusals: Refusal[] = [];
  let lastRefusalAt = 0;
  let firstAfterRefusal = 0;
  const smtp = submissionTransport(platform.ports.smtp, { user: bridge.smtp.username, pass: bridge.smtp.password });
  const sendOne = async (to: string, via: 'rest' | 'smtp'): Promise<Refusal | undefined> => {
    const message = { from: 'app@sender.test', to, subject: options.label, text: to };
    if (via === 'smtp') {
      try {
        await smtp.sendMail(message);
        return undefined;
      } catch (err) {
        const code = (err as { responseCode?: number }).responseCode ?? -1;
        return { via, status: code, code: String(code), retryAfter: null };
      }
    }
    const res = await platform.send(bridge.apiKey, message);
    if (res.status === 202) {
      await res.arrayBuffer();
      return undefined;
    }
    const text = await res.text();
    const code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? text;
    return { via, status: res.status, code, retryAfter: res.headers.get('retry-after') };
  };
  let next = 0;
  const deadline = Date.now() + 120_000;
  const lane = async (via: 'rest' | 'smtp') => {
    for (let i = next++; i < options.messages; i = next++) {
      const to = `${options.label}-${i}@failover.example`;
      for (;;) {
        if (Date.now() > deadline) throw new Error(`${to} never accepted`);
        const refusal = await sendOne(to, via);
        if (!refusal) {
          accepted.push(to);
          if (lastRefusalAt > 0 && firstAfterRefusal < lastRefusalAt) firstAfterRefusal = Date.now();
          break;
        }
        refusals.push(refusal);
        lastRefusalAt = Date.now();
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const sending = Promise.all([...Array.from({ length: options.lanes }, () => lane('rest')), lane('smtp')]);
  await waitFor(() => accepted.length >= options.messages / 3, 60_000, 'a third accepted before the kill');
  const killedAt = Date.now();
  await options.kill(pool.id);
  await sending;
  smtp.close();
  await waitFor(
    () => accepted.every((to) => sink.messages.some((m) => m.to.includes(to))),
    120_000,
    'every accepted message at the sink',
  );
  const counts = new Map<string, number>();
  for (const m of sink.messages) for (const to of m.to) counts.set(to, (counts.get(to) ?? 0) + 1);
  const lost = accepted.filter((to) => !counts.has(to));
  const mine = accepted.map((to) => counts.get(to) ?? 0);
  const duplicates = mine.reduce((n, c) => n + Math.max(0, c - 1), 0);
  const recoveredMs = lastRefusalAt > 0 ? Math.max(0, firstAfterRefusal - killedAt) : 0;
  return { accepted, refusals, lost, duplicates, recoveredMs };
}

/** What every failover must show: nothing accepted lost, refusals "try later" (never a 500). */
export function expectTryLater(label: string, figures: FailoverFigures, messages: number): void {
  const byAnswer = new Map<string, number>();
  for (const r of figures.refusals) {
    const key = `${r.via} ${r.status} ${r.code}`;
    byAnswer.set(key, (byAnswer.get(key) ?? 0) + 1);
  }
  console.info(
    `[${label}] accepted ${figures.accepted.length}, lost ${figures.lost.length}, duplicates ${figures.duplicates}, ` +
      `accepting again ${figures.recoveredMs} ms after the kill, ` +
      `refusals ${JSON.stringify(Object.fromEntries(byAnswer))}`,
  );
  expect(figures.accepted).toHaveLength(messages);
  expect(figures.lost).toEqual([]);
  for (const r of figures.refusals) {
    if (r.via === 'rest') {
      expect(r).toMatchObject({ status: 503, code: expect.stringMatching(/^(QUEUE|SERVICE)_UNAVAILABLE$/) });
      expect(r.retryAfter).toMatch(/^\d+$/);
    } else expect(r.status).toBe(451);
  }
}

/**
 * Stops `platform` and prints what it logged at warn level or above while stopping, so that a
 * close that hangs or fails after a failover shows in the test output.
 */
export async function stopPrintingWarnings(platform: TestPlatform | undefined, label: string): Promise<void> {
  if (!platform) return;
  const from = platform.logs.length;
  const startedAt = Date.now();
  await platform.stop();
  const warnings = platform.logs.slice(from).filter((line) => (JSON.parse(line) as { level: number }).level >= 40);
  console.info(`[${label}] platform stopped in ${Date.now() - startedAt} ms`);
  for (const line of warnings) console.warn(`[${label}] ${line.trim()}`);
}
