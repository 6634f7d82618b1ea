/**
 * The open-loop generator (open-loop.ts) in a process of its own, as an API client is: its
 * requests and answers then cost nothing on the event loop of the server it measures. The body of
 * request `i` is `bodyTemplate` with every `{i}` replaced by `i`.
 */
import { fork } from 'node:child_process';
import { startOpenLoop, type OpenLoopOptions, type OpenLoopProgress } from './open-loop.js';

export type OpenLoopProcessOptions = Omit<OpenLoopOptions, 'body'> & { bodyTemplate: string };
type Result = { progress: OpenLoopProgress; seconds: number };

/** Runs one open-loop schedule in a child process and resolves with its counters and latencies. */
export function runOpenLoopProcess(options: OpenLoopProcessOptions): Promise<Result> {
  const child = fork(new URL(import.meta.url), [], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  return new Promise<Result>((resolve, reject) => {
    let result: Result | undefined;
    child.once('message', (m: Result) => (result = m));
    child.once('error', reject);
    child.once('exit', (code) =>
      result ? resolve(result) : reject(new Error(`open-loop process exited with ${code} and no result`)),
    );
    child.send(options);
  });
}

// In the child: one schedule, its result sent back, then exit.
if (process.send && process.argv[1] && new URL(import.meta.url).pathname === process.argv[1]) {
  process.once('message', (options: OpenLoopProcessOptions) => {
    const { bodyTemplate, ...rest } = options;
    const run = startOpenLoop({ ...rest, body: (i) => bodyTemplate.replaceAll('{i}', String(i)) });
    void run.done.then((result) => process.send?.(result, () => process.exit(0)));
  });
}
