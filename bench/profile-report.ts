/**
 * Reads a V8 profile written by the benchmarks and prints where the time (or the allocation) went:
 * - a `.cpuprofile` (`node --cpu-prof`, or `BENCH_PROFILE=<dir>` of bench/throughput): functions
 *   by self time, as shares of the busy time (idle and `(program)` left out);
 * - a `.heapprofile` (`BENCH_PROFILE_HEAP=1`): functions by bytes allocated (sampled), as shares.
 * Options: `--top N` (default 30); `--incl a,b,…` the inclusive share of every stack that has a
 * frame whose function name or URL contains one of them; `--callers NAME` the stacks (6 frames up)
 * that lead to a function of that name; `--per N` adds an amount per unit (ms or KB per message
 * when N is the number of messages the profile covers).
 *
 * Run: `node --import tsx bench/profile-report.ts <file> [--top 30] [--incl bullmq,ioredis] [--callers writev] [--per 3000]`
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';

const frameSchema = z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number() });
const cpuSchema = z.object({
  nodes: z.array(z.object({ id: z.number(), callFrame: frameSchema, children: z.array(z.number()).optional() })),
  samples: z.array(z.number()),
  timeDeltas: z.array(z.number()),
});
interface HeapNode {
  callFrame: z.infer<typeof frameSchema>;
  selfSize: number;
  children: HeapNode[];
}
const heapNodeSchema: z.ZodType<HeapNode> = z.lazy(() =>
  z.object({ callFrame: frameSchema, selfSize: z.number(), children: z.array(heapNodeSchema) }),
);
const heapSchema = z.object({ head: heapNodeSchema });

/** One stack sample: its frames leaf first, and its weight (µs or bytes). */
interface Sample {
  frames: string[];
  weight: number;
}

/** A frame as `function url:line`; matched by --incl with its whole URL, printed with its file name only. */
const label = (f: z.infer<typeof frameSchema>) => `${f.functionName || '(anon)'} ${f.url || '-'}:${f.lineNumber}`;
const short = (frame: string) => {
  const at = frame.indexOf(' ');
  return at < 0 ? frame : `${frame.slice(0, at)} ${basename(frame.slice(at + 1))}`;
};
const IDLE = new Set(['(idle)', '(program)']);

function cpuSamples(p: z.infer<typeof cpuSchema>): Sample[] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const weight = new Map<number, number>();
  p.samples.forEach((id, i) => weight.set(id, (weight.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const out: Sample[] = [];
  for (const [id, w] of weight) {
    const frames: string[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const node = byId.get(cur);
      if (node) frames.push(label(node.callFrame));
    }
    out.push({ frames, weight: w });
  }
  return out;
}

function heapSamples(head: HeapNode): Sample[] {
  const out: Sample[] = [];
  const walk = (node: HeapNode, stack: string[]) => {
    const frames = [label(node.callFrame), ...stack];
    if (node.selfSize > 0) out.push({ frames, weight: node.selfSize });
    for (const c of node.children) walk(c, frames);
  };
  walk(head, []);
  return out;
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      top: { type: 'string', default: '30' },
      incl: { type: 'string' },
      callers: { type: 'string' },
      per: { type: 'string' },
    },
  });
  const file = positionals[0];
  if (!file)
    throw new Error(
      'usage: profile-report <file.cpuprofile|file.heapprofile> [--top N] [--incl a,b] [--callers NAME] [--per N]',
    );
  const raw: unknown = JSON.parse(readFileSync(file, 'utf8'));
  const heap = file.endsWith('.heapprofile');
  const all = heap ? heapSamples(heapSchema.parse(raw).head) : cpuSamples(cpuSchema.parse(raw));
  const busy = all.filter((s) => !IDLE.has((s.frames[0] ?? '').split(' ')[0] ?? ''));
  const total = busy.reduce((a, s) => a + s.weight, 0);
  const per = Number(values.per) > 0 ? Number(values.per) : 0;
  const unit = heap ? 'KB' : 'ms';
  const amount = (w: number) => (per ? `  ${(heap ? w / 1024 / per : w / 1000 / per).toFixed(3)} ${unit}/unit` : '');
  const share = (w: number) => `${((w / (total || 1)) * 100).toFixed(1).padStart(5)} %`;
  console.log(
    `${file}: ${heap ? `${(total / 1048576).toFixed(1)} MB sampled` : `${(total / 1000).toFixed(0)} ms busy`}`,
  );

  const self = new Map<string, number>();
  for (const s of busy) self.set(s.frames[0] ?? '?', (self.get(s.frames[0] ?? '?') ?? 0) + s.weight);
  for (const [name, w] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top)))
    console.log(`${share(w)}${amount(w)}  ${short(name)}`);

  if (values.incl) {
    console.log('inclusive:');
    for (const pattern of values.incl.split(',').filter(Boolean)) {
      const w = busy.filter((s) => s.frames.some((f) => f.includes(pattern))).reduce((a, s) => a + s.weight, 0);
      console.log(`${share(w)}${amount(w)}  ${pattern}`);
    }
  }
  if (values.callers) {
    const name = values.callers;
    const stacks = new Map<string, number>();
    for (const s of busy) {
      if ((s.frames[0] ?? '').split(' ')[0] !== name) continue;
      const key = s.frames.slice(1, 7).map(short).join(' < ');
      stacks.set(key, (stacks.get(key) ?? 0) + s.weight);
    }
    console.log(`callers of ${name}:`);
    for (const [key, w] of [...stacks].sort((a, b) => b[1] - a[1]).slice(0, 10))
      console.log(`${share(w)}${amount(w)}  ${key}`);
  }
}

main();
