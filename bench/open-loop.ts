/**
 * An open-loop HTTP load generator: requests start on a fixed schedule (request i at
 * `start + i / rate`) whether or not earlier ones have been answered, over keep-alive
 * connections. Each latency is taken from the request's scheduled start, not from when it was
 * actually written, so a stall of the server (or of this event loop) shows up in full instead of
 * being hidden by a client that waited (coordinated omission). Loopback URLs only.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

/** Options of {@link startOpenLoop}. */
export interface OpenLoopOptions {
  /** An `http://127.x.x.x:port/path` URL; the request is a POST. */
  url: string;
  headers: Record<string, string>;
  /** The body of request `i` (build it cheaply: it runs on the schedule). */
  body: (i: number) => string;
  /** Requests started per second. */
  rate: number;
  /** How long the schedule lasts; `rate × seconds` requests in all. */
  seconds: number;
  /**
   * Requests outstanding at most; a scheduled request beyond this is not sent and counts as
   * skipped (a server that far behind has failed the run anyway).
   * @defaultValue 10000
   */
  maxInFlight?: number;
  /**
   * Connections kept open at most; requests beyond them wait in the agent's queue (and that
   * wait counts in their latency).
   * @defaultValue 256
   */
  maxSockets?: number;
  /**
   * A request unanswered after this long fails; also bounds the drain after the schedule.
   * @defaultValue 10000
   */
  timeoutMs?: number;
}

/** Counters of a run, live while it goes on. */
export interface OpenLoopProgress {
  scheduled: number;
  /** Answered 2xx. */
  ok: number;
  /** Non-2xx answers, network errors and timeouts. */
  errors: number;
  firstError: string | undefined;
  skipped: number;
  inFlight: number;
  /** Latency in ms of every 2xx answer, in completion order (appended as they come). */
  latencies: number[];
}

/** A run in progress: its live counters, and the end (after the drain). */
export interface OpenLoopRun {
  progress: OpenLoopProgress;
  /** Resolves once every request was answered or timed out, with seconds from first schedule to last answer. */
  done: Promise<{ progress: OpenLoopProgress; seconds: number }>;
}

/** Starts an open-loop run (see the module comment); every loop in it is bounded by count and time. */
export function startOpenLoop(options: OpenLoopOptions): OpenLoopRun {
  const url = new URL(options.url);
  if (url.protocol !== 'http:' || !url.hostname.startsWith('127.'))
    throw new Error(`open-loop: loopback http URLs only, not ${options.url}`);
  const total = Math.max(1, Math.round(options.rate * options.seconds));
  const intervalMs = 1000 / options.rate;
  const maxInFlight = options.maxInFlight ?? 10_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  // Idle sockets are dropped after 4 s, before Node's server closes them (keepAliveTimeout 5 s):
  // reusing a socket the server is closing fails with "socket hang up", an error of the client.
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 256, timeout: 4_000 });
  const progress: OpenLoopProgress = {
    scheduled: 0,
    ok: 0,
    errors: 0,
    firstError: undefined,
    skipped: 0,
    inFlight: 0,
    latencies: [],
  };
  const start = performance.now() + 5;
  let lastAnswer = start;
  let finish = () => {};
  const drained = new Promise<void>((resolve) => {
    finish = resolve;
  });

  const settle = (scheduledAt: number, error: string | undefined) => {
    progress.inFlight--;
    lastAnswer = performance.now();
    if (error === undefined) {
      progress.ok++;
      progress.latencies.push(lastAnswer - scheduledAt);
    } else {
      progress.errors++;
      progress.firstError ??= error;
    }
    if (progress.scheduled === total && progress.inFlight === 0) finish();
  };

  const fire = (i: number, scheduledAt: number) => {
    if (progress.inFlight >= maxInFlight) {
      progress.skipped++;
      return;
    }
    progress.inFlight++;
    const payload = options.body(i);
    let settled = false;
    const once = (error: string | undefined) => {
      if (settled) return;
      settled = true;
      settle(scheduledAt, error);
    };
    const req = request(
      url,
      { method: 'POST', agent, headers: { ...options.headers, 'content-length': Buffer.byteLength(payload) } },
      (res) => {
        const status = res.statusCode ?? 0;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (text.length < 300) text += chunk;
        });
        res.on('end', () => once(status >= 200 && status < 300 ? undefined : `HTTP ${status} ${text.slice(0, 300)}`));
        res.on('error', (err) => once(err.message));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => once(err.message));
    req.end(payload);
  };

  const tick = () => {
    const now = performance.now();
    // Everything due by now goes out with its own scheduled time, however late this tick is.
    while (progress.scheduled < total && start + progress.scheduled * intervalMs <= now) {
      fire(progress.scheduled, start + progress.scheduled * intervalMs);
      progress.scheduled++;
    }
    if (progress.scheduled < total) {
      setTimeout(tick, Math.max(0, start + progress.scheduled * intervalMs - performance.now() - 0.5));
    } else if (progress.inFlight === 0) {
      finish();
    }
  };
  setTimeout(tick, 5);

  const done = (async () => {
    const drainCap = start + options.seconds * 1000 + timeoutMs + 5_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      drained,
      new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, drainCap - performance.now())))),
    ]);
    clearTimeout(timer);
    agent.destroy();
    return { progress, seconds: (lastAnswer - start) / 1000 };
  })();
  return { progress, done };
}

/** Latency percentiles in ms of a set of samples. */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** p50 / p90 / p99 / max of `samples` (nearest rank); zeros when empty. */
export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  const at = (p: number) =>
    sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0);
  return {
    count: sorted.length,
    p50: at(50),
    p90: at(90),
    p99: at(99),
    max: sorted.length ? (sorted[sorted.length - 1] ?? 0) : 0,
  };
}
