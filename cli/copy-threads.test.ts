import { generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, TrackingTokens } from '../core/index.js';
import { CopyThreads } from './copy-threads.js';
import { createCopyMaker, type CopyTask } from './copy-work.js';

const MASTER_KEY = Buffer.alloc(32, 7);
const { privateKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});

const message = (i: number) =>
  Buffer.from(
    `From: shop@signed.example\r\nTo: r${i}@example.test\r\nSubject: order ${i}\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Order ${i}: <a href="https://shop.example/o/${i}">see it</a></p>\r\n`,
  );

const task = (i: number): CopyTask => ({
  raw: message(i),
  tracking: {
    plan: { opens: true, clicks: true, baseUrl: 'https://t.example' },
    copy: { messageId: `m${i}`, bridgeId: 'b1', poolId: 'p1', recipient: `r${i}@example.test` },
  },
  signingKey: { domain: 'signed.example', selector: 'bm1', privateKey },
});

/** A copy without the parts that change with the clock (t= of the signature, the tokens' time and so bh=). */
const stable = (b: Buffer) =>
  b
    .toString('latin1')
    .replace(/t=\d+;/, 't=;')
    .replace(/bh=[^;]*;/, 'bh=;')
    .replace(/b=[^;]*$/m, 'b=')
    .replace(/\/t\/[oc]\/[\w.-]+/g, '/t/x/TOKEN');

describe('CopyThreads', () => {
  let threads: CopyThreads;
  beforeAll(async () => {
    threads = await CopyThreads.start({ size: 2, masterKey: MASTER_KEY, logger: createLogger({ level: 'silent' }) });
  });
  afterAll(async () => {
    await threads.close();
  });

  it('makes the copies of one tick on the threads, each caller getting its own copy', async () => {
    const tokens = new TrackingTokens(MASTER_KEY);
    const inline = createCopyMaker(tokens);
    const tasks = Array.from({ length: 25 }, (_, i) => task(i));
    const copies = await Promise.all(tasks.map((t) => threads.run(t)));
    const expected = await Promise.all(tasks.map((t) => inline(t)));
    copies.forEach((copy, i) => {
      expect(copy.toString('latin1')).toMatch(/^DKIM-Signature: /);
      expect(copy.toString('latin1')).toContain(`To: r${i}@example.test`);
      expect(stable(copy)).toEqual(stable(expected[i] ?? Buffer.alloc(0)));
      const click = /\/t\/c\/([\w.-]+)/.exec(copy.toString('latin1'))?.[1] ?? '';
      expect(tokens.verify(click, 'c')).toMatchObject({
        m: `m${i}`,
        r: `r${i}@example.test`,
        u: `https://shop.example/o/${i}`,
      });
    });
  });

  it('fails only the task that fails, and keeps serving after it', async () => {
    const bad: CopyTask = {
      raw: message(99),
      signingKey: { domain: 'signed.example', selector: 'bm1', privateKey: 'not a key' },
    };
    const settled = await Promise.allSettled([
      threads.run(task(1)),
      threads.run(bad),
      threads.run({ raw: message(2) }),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(settled[2]).toEqual({ status: 'fulfilled', value: message(2) });
    expect((await threads.run(task(3))).toString('latin1')).toContain('To: r3@example.test');
    // A task that cannot be posted to a thread at all fails its tick, and the next tick works.
    const unclonable = { raw: message(4), tracking: { ...task(4).tracking, extra: () => 1 } } as unknown as CopyTask;
    await expect(threads.run(unclonable)).rejects.toThrow();
    expect((await threads.run(task(5))).toString('latin1')).toContain('To: r5@example.test');
  });
});

/** The nice value of each thread of this process named `name` (Linux: /proc/self/task/<tid>/stat, field 19). */
function threadNiceness(name: string): number[] {
  return readdirSync('/proc/self/task')
    .filter((tid) => readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() === name)
    .map((tid) => Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]?.split(' ')[16]));
}

describe.runIf(process.platform === 'linux')('CopyThreads niceness', () => {
  it('schedules its threads that much below the process, which keeps its own priority', async () => {
    const base = getPriority(process.pid);
    const threads = await CopyThreads.start({
      size: 2,
      masterKey: MASTER_KEY,
      logger: createLogger({ level: 'silent' }),
      niceness: 5,
    });
    try {
      // Each worker thread and any helper thread it starts (they inherit its name and priority).
      const niceness = threadNiceness('bm-copy');
      expect(niceness.length).toBeGreaterThanOrEqual(2);
      expect(new Set(niceness)).toEqual(new Set([base + 5]));
      expect(getPriority(process.pid)).toBe(base);
      expect((await threads.run(task(5))).toString('latin1')).toContain('To: r5@example.test');
    } finally {
      await threads.close();
    }
  });
});
