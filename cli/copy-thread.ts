import { parentPort, workerData } from 'node:worker_threads';
import { TrackingTokens } from '../core/index.js';
import { createCopyMaker, type CopyOutcome, type CopyRequest } from './copy-work.js';

// A copy thread: makes copies (tracking rewrite + DKIM) for the delivery workers of the main
// thread, a request's tasks in turn, and posts their results back together.
const port = parentPort;
if (!port) throw new Error('copy-thread runs as a worker thread');
const make = createCopyMaker(
  new TrackingTokens(Buffer.from(String((workerData as { masterKey: string }).masterKey), 'hex')),
);
port.on('message', (req: CopyRequest) => {
  void Promise.all(
    req.tasks.map((task): Promise<CopyOutcome> => {
      // Structured clone turns Buffers into Uint8Arrays.
      const raw = Buffer.from(task.raw.buffer, task.raw.byteOffset, task.raw.byteLength);
      return make({ ...task, raw }).then(
        (out) => ({ raw: out }),
        (err: unknown) => ({ error: err instanceof Error ? err.message : String(err) }),
      );
    }),
  ).then((results) => port.postMessage({ id: req.id, results }));
});
port.postMessage({ ready: true });
