#!/usr/bin/env node
// Entry point of the `bridgemail` command. Sources are TypeScript run through tsx's loader,
// so a fresh checkout works right after `npm ci`, without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
await main(process.argv.slice(2));
