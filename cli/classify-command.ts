import { readFile } from 'node:fs/promises';
import { classifyMessage } from '../workers/bounces/index.js';

/**
 * `bridgemail classify FILE...`: prints one JSON line per file, the classification plus `"file"`
 * (the path as given). An unreadable file prints `{ "file", "error" }`, the run goes on, and the
 * exit code becomes 1.
 *
 * @returns the exit code: 0 when every file was classified, 1 otherwise.
 */
export async function runClassify(
  files: string[],
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  let exitCode = 0;
  if (files.length === 0) {
    err.write('usage: bridgemail classify FILE...\n');
    return 2;
  }
  for (const file of files) {
    let line: Record<string, unknown>;
    try {
      const raw = await readFile(file);
      line = { file, ...(await classifyMessage(raw)) };
    } catch (cause) {
      exitCode = 1;
      const message = cause instanceof Error ? cause.message : String(cause);
      line = { file, error: message };
      err.write(`${file}: ${message}\n`);
    }
    out.write(`${JSON.stringify(line)}\n`);
  }
  return exitCode;
}
