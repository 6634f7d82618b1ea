/**
 * Redis commands per message for a benchmark case, from `INFO commandstats` (reset before the
 * case with `CONFIG RESETSTAT`): how many calls of each command a delivered message cost and the
 * server time they took, so a change that saves round trips or Lua work shows as a count.
 */
import { Redis } from 'ioredis';

async function withRedis<T>(url: string, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

/** Zeroes the server's command statistics. */
export async function resetRedisStats(url: string): Promise<void> {
  await withRedis(url, async (r) => {
    await r.config('RESETSTAT');
    // Every script call goes to the slow log (up to 100,000), so script time splits by script.
    await r.config('SET', 'slowlog-log-slower-than', '0');
    await r.config('SET', 'slowlog-max-len', '100000');
    await r.slowlog('RESET');
  });
}

/** Script name: the first key's last segment (BullMQ keys end in the structure they touch). */
function scriptLabel(args: string[]): string {
  const keys = args.slice(3, 3 + Math.min(3, Number(args[2]) || 0)).map((k) => k.split(':').pop() ?? k);
  return `${(args[1] ?? '').slice(0, 8)} [${keys.join(',')}]`;
}

async function scriptLines(r: Redis, messages: number): Promise<string[]> {
  const log = (await r.slowlog('GET', '100000')) as [number, number, number, string[]][];
  const by = new Map<string, { calls: number; usec: number }>();
  for (const [, , usec, args] of log) {
    if (String(args[0]).toLowerCase() !== 'evalsha') continue;
    const label = scriptLabel(args.map(String));
    const row = by.get(label) ?? { calls: 0, usec: 0 };
    row.calls += 1;
    row.usec += usec;
    by.set(label, row);
  }
  await r.config('SET', 'slowlog-log-slower-than', '10000');
  return [...by]
    .sort((a, b) => b[1].usec - a[1].usec)
    .slice(0, 8)
    .map(
      ([label, v]) =>
        `  script ${label.padEnd(40)} ${(v.calls / messages).toFixed(2).padStart(6)} calls/msg ${(v.usec / v.calls).toFixed(1).padStart(7)} µs/call`,
    );
}

/** One line per command: calls per message and server µs per message, largest first, then the total. */
export async function redisCommandLines(url: string, messages: number): Promise<string[]> {
  const [info, scripts] = await withRedis(
    url,
    async (r) => [await r.info('commandstats'), await scriptLines(r, messages)] as const,
  );
  const rows: { name: string; calls: number; usec: number }[] = [];
  for (const line of info.split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line.trim());
    if (m?.[1] && m[1] !== 'info' && m[1] !== 'config')
      rows.push({ name: m[1], calls: Number(m[2]), usec: Number(m[3]) });
  }
  rows.sort((a, b) => b.usec - a.usec);
  const fmt = (name: string, calls: number, usec: number) =>
    `  redis ${name.padEnd(30)} ${(calls / messages).toFixed(2).padStart(6)} calls/msg ${(usec / messages).toFixed(1).padStart(7)} µs/msg`;
  const total = rows.reduce((acc, r) => ({ calls: acc.calls + r.calls, usec: acc.usec + r.usec }), {
    calls: 0,
    usec: 0,
  });
  return [
    ...rows.slice(0, 12).map((r) => fmt(r.name, r.calls, r.usec)),
    fmt('(all commands)', total.calls, total.usec),
    ...scripts,
  ];
}
