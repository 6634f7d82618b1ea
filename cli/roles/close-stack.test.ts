import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../core/index.js';
import { CloseStack, startOwning } from './close-stack.js';

function collectingLogger() {
  const lines: { msg: string }[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as { msg: string });
      done();
    },
  });
  return { logger: createLogger({ level: 'warn', destination }), lines };
}

describe('CloseStack', () => {
  it('closes newest first, goes on past a failing close (logged), and closes nothing twice', async () => {
    const { logger, lines } = collectingLogger();
    const stack = new CloseStack(logger);
    const closed: string[] = [];
    stack.own({ close: () => Promise.resolve(closed.push('engines')) });
    stack.defer(() => closed.push('subscription'));
    stack.own({ close: () => Promise.reject(new Error('stuck')) });
    stack.own({ close: () => Promise.resolve(closed.push('listener')) });
    await stack.close();
    expect(closed).toEqual(['listener', 'subscription', 'engines']);
    expect(lines.map((l) => l.msg)).toEqual(['error while stopping']);
    await stack.close();
    expect(closed).toHaveLength(3);
  });

  it('goes on past a part that does not close in time, and logs it', async () => {
    const { logger, lines } = collectingLogger();
    const stack = new CloseStack(logger, 50);
    const closed: string[] = [];
    stack.defer(() => closed.push('redis'));
    stack.own({ close: () => new Promise<void>(() => undefined) });
    stack.defer(() => closed.push('listener'));
    await stack.close();
    expect(closed).toEqual(['listener', 'redis']);
    expect(lines).toEqual([expect.objectContaining({ msg: 'a part did not close in time; going on', part: 1 })]);
  });
});

describe('startOwning', () => {
  it('closes what a failing starter had started, then rethrows its error', async () => {
    const { logger } = collectingLogger();
    const closed: string[] = [];
    const failure = startOwning(logger, async (stack) => {
      stack.defer(() => closed.push('redis'));
      stack.defer(() => closed.push('store'));
      await Promise.resolve();
      throw new Error('port taken');
    });
    await expect(failure).rejects.toThrow('port taken');
    expect(closed).toEqual(['store', 'redis']);
  });

  it("hands the stack's close() out with the starter's result", async () => {
    const { logger } = collectingLogger();
    const closed: string[] = [];
    const role = await startOwning(logger, (stack) => {
      stack.defer(() => closed.push('worker'));
      return Promise.resolve({ port: 25 });
    });
    expect(role.port).toBe(25);
    expect(closed).toEqual([]);
    await role.close();
    expect(closed).toEqual(['worker']);
  });
});
