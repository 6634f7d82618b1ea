import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConsolePaths, ensureConsoleBuilt } from '../../cli/console-build.js';
import { createLogger } from '../../core/index.js';

// The console build a plain `bridgemail start` makes when `dist` is missing, into a temp dir so
// the checkout's own build is left alone.
describe('the web console is built at start when missing', () => {
  let outDir: string;
  const lines: Record<string, unknown>[] = [];
  const destination = new PassThrough();
  destination.on('data', (d: Buffer) =>
    lines.push(
      ...d
        .toString()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    ),
  );
  const logger = createLogger({ level: 'info', destination });

  beforeAll(async () => {
    outDir = join(await mkdtemp(join(tmpdir(), 'bridgemail-console-build-')), 'dist');
  });
  afterAll(async () => {
    await rm(join(outDir, '..'), { recursive: true, force: true });
  });

  it('builds index.html and its assets when there is no build', async () => {
    expect(await ensureConsoleBuilt({ ...defaultConsolePaths(), outDir }, logger)).toBe('built');
    const html = await readFile(join(outDir, 'index.html'), 'utf8');
    const script = /src="\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toEqual(expect.any(String));
    await access(join(outDir, String(script)));
    expect(lines.map((l) => l.msg)).toEqual(['building the web console (first start)', 'web console built']);
  });

  it('leaves an existing build alone', async () => {
    expect(await ensureConsoleBuilt({ ...defaultConsolePaths(), outDir }, logger)).toBe('present');
  });

  it('without Vite (a production install) builds nothing and says how to build', async () => {
    const empty = join(outDir, '..', 'none');
    lines.length = 0;
    const outcome = await ensureConsoleBuilt(
      { ...defaultConsolePaths(), outDir: empty, viteBin: join(empty, 'vite.js') },
      logger,
    );
    expect(outcome).toBe('no-vite');
    expect(lines[0]?.msg).toContain('npm run build:web');
  });
});
