// Entry of Bridgemail's worker threads: registers tsx's loader in this thread (loader hooks are
// per thread), names the OS thread (workerData.threadName: what `top -H` and /proc show), then
// runs the TypeScript module named in workerData.entry.
import { writeFileSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

if (typeof workerData.threadName === 'string') {
  try {
    // Linux: a thread may rename itself through its own comm file (15 bytes at most).
    writeFileSync('/proc/thread-self/comm', workerData.threadName.slice(0, 15));
  } catch {
    // Not Linux, or /proc not mounted: the thread keeps its inherited name.
  }
}
register();
await import(workerData.entry);
