import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { waitFor } from './wait.js';

/** The `bridgemail` command of this checkout. */
export const BRIDGEMAIL_BIN = resolve(import.meta.dirname, '../../bin/bridgemail.js');

/** A `bridgemail start` child process and the JSON log lines it wrote so far. */
export interface BridgemailProcess {
  child: ChildProcess;
  lines: string[];
  /** The `url` field of the first log line with message `msg` ('' when none). */
  url(msg: string): string;
}

/**
 * Spawns `bridgemail start --role <roles>` with exactly `env` (plus PATH) and waits for its
 * "ready" log line (the caller kills it; SIGKILL in fault tests).
 */
export async function startBridgemailProcess(
  roles: string,
  env: Record<string, string>,
  timeoutMs = 90_000,
): Promise<BridgemailProcess> {
  const lines: string[] = [];
  const child = spawn(process.execPath, [BRIDGEMAIL_BIN, 'start', '--role', roles], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let pending = '';
  child.stdout?.on('data', (d: Buffer) => {
    pending += d.toString();
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    lines.push(...parts);
  });
  await waitFor(() => lines.some((l) => l.includes('"msg":"ready"')), timeoutMs, `bridgemail --role ${roles} ready`);
  return {
    child,
    lines,
    url: (msg) => (JSON.parse(lines.find((l) => l.includes(`"msg":"${msg}"`)) ?? '{}') as { url?: string }).url ?? '',
  };
}

/** Sends `signal` to each child still running and waits until all of them have exited. */
export async function stopProcesses(
  children: readonly (ChildProcess | undefined)[],
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  const running = children.filter((c): c is ChildProcess => !!c && c.exitCode === null && c.signalCode === null);
  await Promise.all(
    running.map((c) => {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill(signal);
      return exited;
    }),
  );
}
