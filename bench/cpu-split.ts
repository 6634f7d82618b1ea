/**
 * Where the CPU of a benchmark case goes, by process and by thread, read from /proc (Linux):
 * this process's threads (main, delivery thread, copy threads, libuv and V8 helpers, chDB's) and
 * other processes matched by their command line (redis-server, smtp-sink). Printed as CPU
 * milliseconds per message, so cases of different sizes compare.
 */
import { readdir, readFile } from 'node:fs/promises';

/** CPU seconds (user + system) of one /proc stat line. */
function cpuSeconds(stat: string): number {
  // Field 2 (comm) may hold spaces; the fields after its closing parenthesis are fixed.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(rest[11]) + Number(rest[12]);
  return ticks / 100;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** CPU seconds of every thread of `pid`, keyed by `comm` (threads of one name summed). */
async function threadTimes(pid: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const tids = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  for (const tid of tids) {
    const [stat, comm] = await Promise.all([
      readText(`/proc/${pid}/task/${tid}/stat`),
      readText(`/proc/${pid}/task/${tid}/comm`),
    ]);
    if (stat === undefined || comm === undefined) continue;
    const name = Number(tid) === pid ? 'main' : comm.trim();
    out.set(name, (out.get(name) ?? 0) + cpuSeconds(stat));
  }
  return out;
}

/** CPU seconds of every process whose command line contains `needle`, summed. */
async function processTimes(needle: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readText(`/proc/${entry}/cmdline`);
    if (!cmdline?.replace(/\0/g, ' ').includes(needle)) continue;
    const stat = await readText(`/proc/${entry}/stat`);
    if (stat !== undefined) total += cpuSeconds(stat);
  }
  return total;
}

/** A snapshot of the CPU counters; `since` gives the difference as ms per message. */
export interface CpuSnapshot {
  threads: Map<string, number>;
  others: Map<string, number>;
}

/** Reads the counters of this process's threads and of the processes named in `others`. */
export async function cpuSnapshot(others: readonly string[]): Promise<CpuSnapshot> {
  const threads = await threadTimes(process.pid);
  const entries = await Promise.all(others.map(async (n) => [n, await processTimes(n)] as const));
  return { threads, others: new Map(entries) };
}

/** One line per thread group and process: CPU ms per message between two snapshots (plus `extra` rows measured elsewhere). */
export function cpuSplit(
  before: CpuSnapshot,
  after: CpuSnapshot,
  messages: number,
  extra: Array<[name: string, seconds: number]> = [],
): string[] {
  const rows: Array<[string, number]> = [...extra];
  for (const [name, t] of after.threads) rows.push([`this process: ${name}`, t - (before.threads.get(name) ?? 0)]);
  for (const [name, t] of after.others) rows.push([name, t - (before.others.get(name) ?? 0)]);
  const total = rows.reduce((s, [, t]) => s + t, 0);
  return [
    ...rows
      .filter(([, t]) => t > 0)
      .sort((a, b) => b[1] - a[1])
      .map(
        ([name, t]) =>
          `  ${name.padEnd(34)} ${((t * 1000) / messages).toFixed(3).padStart(7)} ms/msg  ${((100 * t) / total).toFixed(0).padStart(3)}%`,
      ),
    `  ${'total'.padEnd(34)} ${((total * 1000) / messages).toFixed(3).padStart(7)} ms/msg`,
  ];
}
