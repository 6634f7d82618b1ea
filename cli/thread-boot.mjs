// Entry of Bridgemail's worker threads: registers tsx's loader in this thread (loader hooks are
// per thread), names the OS thread (workerData.threadName: what `top -H` and /proc show), lowers
// its scheduling priority (workerData.niceness), then runs the TypeScript module named in
// workerData.entry.
import { readlinkSync, writeFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
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
if (Number.isInteger(workerData.niceness) && workerData.niceness > 0) {
  try {
    // Linux keeps a nice value per thread: /proc/thread-self links to `<pid>/task/<tid>`, and
    // setpriority() given a thread id changes that thread only. The value is relative to the
    // process's main thread (a thread started by another worker inherits that worker's value).
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    setPriority(tid, Math.min(19, getPriority(process.pid) + workerData.niceness));
  } catch {
    // Not Linux, or the priority may not change here: the thread keeps the process's priority.
  }
}
register();
await import(workerData.entry);
