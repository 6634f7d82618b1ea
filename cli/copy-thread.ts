import { parentPort, workerData } from 'node:worker_threads';
import { TrackingTokens } from '../core/index.js';
import { createCopyMaker, type CopyTask } from './copy-work.js';

/** A request from {@link CopyThreads}: a task and its id. */
interface CopyRequest {
  id: number;
  task: CopyTask;
}

// A copy thread: makes copies (tracking rewrite + DKIM) for the delivery workers of the main thread.
const port = parentPort;
if (!port) throw new Error('copy-thread runs as a worker thread');
const make = createCopyMaker(new TrackingTokens(Buffer.from(String((workerData as { masterKey: string }).masterKey), 'hex')));
port.on('message', (req: CopyRequest) => {
  // Structured clone turns Buffers into Uint8Arrays.
  const raw = Buffer.from(req.task.raw.buffer, req.task.raw.byteOffset, req.task.raw.byteLength);
  make({ ...req.task, raw }).then(
    (out) => port.postMessage({ id: req.id, raw: out }),
    (err: unknown) => port.postMessage({ id: req.id, error: err instanceof Error ? err.message : String(err) }),
  );
});
port.postMessage({ ready: true });
