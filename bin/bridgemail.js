#!/usr/bin/env node
// Entry point of the `bridgemail` command. Sources are TypeScript run through tsx's loader,
// so a fresh checkout works right after `npm ci`, without a build step. The usage is answered
// first, without tsx, so `--help` and a bare `bridgemail` cost a plain Node start.
import { HELP_ARGS, USAGE } from './usage.js';

const args = process.argv.slice(2);
if (args.length === 0 || HELP_ARGS.includes(args[0])) {
  (args.length === 0 ? process.stderr : process.stdout).write(`${USAGE}\n`);
  process.exitCode = args.length === 0 ? 2 : 0;
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../cli/main.ts');
  await main(args, USAGE);
}
