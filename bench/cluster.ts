/**
 * `npx tsx bench/cluster.ts`: the cost of running on a Redis Cluster. The REST plain and tracked
 * (opens, clicks, DKIM) cases of bench/throughput.ts, first against one Redis (the spawned
 * redis-server, as `bridgemail start` runs), then against a 3-primary, 3-replica Redis Cluster on
 * loopback (`REDIS_CLUSTER_NODES`), in the same run. Prints msg/s, the cluster's
 * ratio to one Redis, and the Redis CPU per delivered message on each server (INFO cpu before and
 * after the measured part: user + sys), replicas apart; then the CPU per message of this process
 * (platform and load generator) and of everything, a cost that other load on the machine moves
 * far less than msg/s.
 *
 * On a 2-core machine six redis-servers share the cores with the platform and the load generator,
 * so the cluster cannot be faster: the figures show what the cluster path costs and how the work
 * spreads. `BENCH_N` (default 4000) messages per measured case, after `BENCH_WARMUP` (2000);
 * `BENCH_ROUNDS` (default 2) rounds of both setups in turn, the best round of each printed;
 * `BRIDGEMAIL_EVENT_SHARDS` (default 3) the cluster's event shards; `BRIDGEMAIL_REDIS_WAIT_REPLICAS`
 * (default 0) makes the cluster platform wait for that many replicas before each 202.
 */
import { availableParallelism } from 'node:os';
import { Redis } from 'ioredis';
import { startTestCluster, type TestCluster } from '../test/support/redis-cluster.js';
import { startBenchPlatform, orderHtml, type BenchPlatform } from './bench-platform.js';
import { bridgemailCases, pooled } from './bridgemail-cases.js';
import { runCase, type CaseResult } from './case-runner.js';
import { ensurePostfix, startSmtpSink, type SmtpSink } from './postfix.js';

const N = Number(process.env.BENCH_N) > 0 ? Number(process.env.BENCH_N) : 4000;
const WARMUP = Number(process.env.BENCH_WARMUP) > 0 ? Number(process.env.BENCH_WARMUP) : 2000;
const CASES = ['rest plain', 'rest track+dkim'];
const SHARDS = process.env.BRIDGEMAIL_EVENT_SHARDS ?? '3';
const ROUNDS = Number(process.env.BENCH_ROUNDS) > 0 ? Number(process.env.BENCH_ROUNDS) : 2;
const WAIT_REPLICAS = process.env.BRIDGEMAIL_REDIS_WAIT_REPLICAS ?? '0';

/** A Redis server of a setup, by role, whose CPU is read. */
interface Server {
  label: string;
  port: number;
}

/** CPU seconds (user + sys) a redis-server has used (INFO cpu). */
async function cpuSeconds(port: number): Promise<number> {
  const r = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
  try {
    const info = await r.info('cpu');
    const read = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
    return read('used_cpu_user') + read('used_cpu_sys');
  } finally {
    r.disconnect();
  }
}

async function flushAll(port: number): Promise<void> {
  const r = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
  try {
    await r.flushall();
  } finally {
    r.disconnect();
  }
}

interface Measured {
  result: CaseResult;
  /** µs of Redis CPU per delivered message, per server. */
  cpu: { label: string; usPerMsg: number }[];
  /** µs of CPU per delivered message of this process: the platform (every thread) and the load generator. */
  processUsPerMsg: number;
}

async function measure(sink: SmtpSink, bench: BenchPlatform, servers: Server[]): Promise<Map<string, Measured>> {
  const html = orderHtml();
  // REST cases only: the SMTP transports the case list wants are never used (and never connect).
  const none = pooled(1);
  const cases = bridgemailCases(bench, { plain: none, tracked: none }, html).filter((c) => CASES.includes(c.name));
  const out = new Map<string, Measured>();
  for (const c of cases) {
    const run = (n: number) => runCase(sink, Math.ceil(n / c.unit), c.concurrency, c.submit(n));
    const warm = await run(WARMUP);
    if (warm.errors || warm.capped)
      console.log(`  (warm-up of ${c.name}: ${warm.errors} errors ${warm.firstError ?? ''})`);
    const before = await Promise.all(servers.map((s) => cpuSeconds(s.port)));
    const usage = process.cpuUsage();
    const result = await run(N);
    const used = process.cpuUsage(usage);
    const after = await Promise.all(servers.map((s) => cpuSeconds(s.port)));
    const delivered = result.delivered || 1;
    const cpu = servers.map((s, i) => ({
      label: s.label,
      usPerMsg: (((after[i] ?? 0) - (before[i] ?? 0)) * 1e6) / delivered,
    }));
    out.set(c.name, { result, cpu, processUsPerMsg: (used.user + used.system) / delivered });
    if (result.errors) console.log(`  ${c.name}: ${result.errors} errors, first: ${result.firstError ?? ''}`);
  }
  none.close();
  return out;
}

const rate = (m: Measured | undefined) => (m ? m.result.delivered / m.result.seconds : 0);
const cpuText = (m: Measured | undefined) =>
  (m?.cpu ?? []).map((c) => `${c.label} ${c.usPerMsg.toFixed(1)}`).join(', ');
const cpuTotal = (m: Measured | undefined, prefix: string) =>
  (m?.cpu ?? []).filter((c) => c.label.startsWith(prefix)).reduce((n, c) => n + c.usPerMsg, 0);

/** Per case, the round with the most msg/s (other load on a shared machine only ever slows a round). */
function best(rounds: Map<string, Measured>[]): Map<string, Measured> {
  const out = new Map<string, Measured>();
  for (const round of rounds) for (const [name, m] of round) if (rate(m) > rate(out.get(name))) out.set(name, m);
  return out;
}

async function main(): Promise<void> {
  console.log(
    `nproc ${availableParallelism()}  node ${process.version}  BENCH_N ${N}  warm-up ${WARMUP}  rounds ${ROUNDS}` +
      `  cluster waits for ${WAIT_REPLICAS} replica(s)`,
  );
  // Postfix's smtp-sink counts deliveries, as in bench/throughput.ts.
  await ensurePostfix((line) => console.log(line));
  const sink = await startSmtpSink();
  let cluster: TestCluster | undefined;
  try {
    cluster = await startTestCluster(3);
    const primaries = await cluster.primaries();
    const replicas = cluster.nodes.map((n) => n.port).filter((p) => !primaries.includes(p));
    const servers = [
      ...primaries.map((port, i) => ({ label: `primary${i + 1}`, port })),
      ...replicas.map((port, i) => ({ label: `replica${i + 1}`, port })),
    ];
    const oneRounds: Map<string, Measured>[] = [];
    const manyRounds: Map<string, Measured>[] = [];
    // One Redis and the cluster in turn, each round a fresh platform, so that neither always runs
    // while the machine is busier.
    for (let round = 0; round < ROUNDS; round++) {
      const single = await startBenchPlatform({ sinkPort: sink.port });
      try {
        const port = Number(new URL(single.platform.redisUrl).port);
        oneRounds.push(await measure(sink, single, [{ label: 'redis', port }]));
      } finally {
        await single.close();
      }
      const onCluster = await startBenchPlatform({
        sinkPort: sink.port,
        env: {
          REDIS_CLUSTER_NODES: cluster.nodesText,
          BRIDGEMAIL_EVENT_SHARDS: SHARDS,
          BRIDGEMAIL_REDIS_WAIT_REPLICAS: WAIT_REPLICAS,
        },
      });
      try {
        manyRounds.push(await measure(sink, onCluster, servers));
      } finally {
        await onCluster.close();
      }
      // The next round starts on an empty cluster, as the next one-Redis round does on a new server.
      await Promise.all(primaries.map((port) => flushAll(port)));
      for (const name of CASES)
        console.log(
          `  round ${round + 1} ${name}: one Redis ${rate(oneRounds[round]?.get(name)).toFixed(0)} msg/s, ` +
            `cluster ${rate(manyRounds[round]?.get(name)).toFixed(0)} msg/s`,
        );
    }
    const one = best(oneRounds);
    const many = best(manyRounds);

    console.log('');
    console.log(
      'case               one Redis msg/s   cluster msg/s   ratio   ' +
        'Redis CPU µs/msg: one Redis | cluster primaries (sum) | replicas (sum)',
    );
    for (const name of CASES) {
      const a = one.get(name);
      const b = many.get(name);
      const ratio = rate(a) > 0 ? rate(b) / rate(a) : 0;
      const rates = [rate(a).toFixed(0).padStart(15), rate(b).toFixed(0).padStart(15), ratio.toFixed(2).padStart(7)];
      const primariesCpu = cpuText(b && { ...b, cpu: b.cpu.filter((c) => c.label.startsWith('primary')) });
      const sums = `(${cpuTotal(b, 'primary').toFixed(1)}) | ${cpuTotal(b, 'replica').toFixed(1)}`;
      console.log(
        `${name.padEnd(18)} ${rates.join(' ')}   ${cpuTotal(a, 'redis').toFixed(1)} | ${primariesCpu} ${sums}`,
      );
    }
    // CPU per message, which other load on the machine changes far less than msg/s: the cost of the
    // cluster path itself (this process: platform + load generator; every redis-server of the setup).
    console.log('');
    console.log(
      'case               process CPU µs/msg: one Redis  cluster  ratio   with Redis: one Redis  cluster  ratio',
    );
    const ratioText = (x: number, y: number) => (x > 0 ? y / x : 0).toFixed(2).padStart(6);
    for (const name of CASES) {
      const a = one.get(name);
      const b = many.get(name);
      const pa = a?.processUsPerMsg ?? 0;
      const pb = b?.processUsPerMsg ?? 0;
      const ta = pa + cpuTotal(a, '');
      const tb = pb + cpuTotal(b, '');
      const own = `${pa.toFixed(0).padStart(29)} ${pb.toFixed(0).padStart(8)} ${ratioText(pa, pb)}`;
      const all = `${ta.toFixed(0).padStart(20)} ${tb.toFixed(0).padStart(8)} ${ratioText(ta, tb)}`;
      console.log(`${name.padEnd(18)} ${own}   ${all}`);
    }
  } finally {
    await cluster?.stop();
    await sink.close();
  }
}

await main();
