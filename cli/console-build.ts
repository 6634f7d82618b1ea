import { spawn } from 'node:child_process';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../core/index.js';

/** Where the console's sources, its default build and the Vite that builds it live in a checkout. */
export interface ConsolePaths {
  /** The console's sources (holds `vite.config.ts`). */
  webDir: string;
  /** Where the build goes and is served from. */
  outDir: string;
  /** Vite's command-line entry; absent where dev dependencies were left out (`npm ci --omit=dev`). */
  viteBin: string;
}

/** The paths of this checkout: `admin-api/web`, its `dist`, and `node_modules/vite`. */
export function defaultConsolePaths(): ConsolePaths {
  const webDir = fileURLToPath(new URL('../admin-api/web', import.meta.url));
  return {
    webDir,
    outDir: join(webDir, 'dist'),
    viteBin: fileURLToPath(new URL('../node_modules/vite/bin/vite.js', import.meta.url)),
  };
}

/** What {@link ensureConsoleBuilt} found or did. */
export type ConsoleBuildOutcome = 'present' | 'built' | 'no-vite';

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * Builds the web console when its `index.html` is missing, so `npx bridgemail start` right after
 * `npm ci` serves it. Without Vite (a production install) it builds nothing and the console
 * answers 503 saying how to build it; a failed build rejects with Vite's output.
 */
export async function ensureConsoleBuilt(paths: ConsolePaths, logger: Logger): Promise<ConsoleBuildOutcome> {
  if (await exists(join(paths.outDir, 'index.html'))) return 'present';
  if (!(await exists(paths.viteBin))) {
    logger.warn(
      { dir: paths.outDir },
      'web console not built and Vite not installed: run `npm ci` then `npm run build:web`',
    );
    return 'no-vite';
  }
  logger.info({ dir: paths.outDir }, 'building the web console (first start)');
  const args = [
    paths.viteBin,
    'build',
    paths.webDir,
    '--config',
    join(paths.webDir, 'vite.config.ts'),
    '--outDir',
    paths.outDir,
    '--emptyOutDir',
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-4000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`building the web console failed (vite exit ${code}): ${output.trim()}`);
  logger.info({ dir: paths.outDir }, 'web console built');
  return 'built';
}
