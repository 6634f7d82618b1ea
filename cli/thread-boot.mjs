// Entry of Bridgemail's worker threads: registers tsx's loader in this thread (loader hooks are
// per thread), then runs the TypeScript module named in workerData.entry.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
