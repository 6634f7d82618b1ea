import { Worker } from 'node:worker_threads';
import { TickBatch, type Logger, type TickBatchOptions } from '../core/index.js';
import type { CopyOutcome, CopyRequest, CopyTask } from './copy-work.js';

type Reply = { id: number; results: CopyOutcome[] } | { ready: true };

interface Pending {
  /** Tasks of the request still in the thread. */
  size: number;
  resolve: (results: CopyOutcome[]) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  /** Tasks of all pending requests. */
  tasks: number;
}

/**
 * A pool of worker threads making copies (tracking rewrite + DKIM signature), so that this CPU
 * work runs on the machine's other cores while the main thread serves ingress and SMTP. The tasks
 * of one tick travel together (one message to a thread and one back, not one each), shared out
 * among the threads by their pending tasks. A thread that dies fails its pending tasks (the
 * delivery job is retried) and is replaced.
 */
export class CopyThreads {
  readonly #slots: Slot[] = [];
  #next = 0;
  #closed = false;
  /** The copies asked for in this tick: they travel together. */
  readonly #batch: TickBatch<CopyTask, Buffer>;

  private constructor(
    private readonly masterKey: Buffer,
    private readonly logger: Logger,
    private readonly niceness: number,
    batching: TickBatchOptions,
  ) {
    this.#batch = new TickBatch((tasks) => Promise.resolve(this.#send(tasks)), batching);
  }

  /**
   * Starts `size` threads and waits until each is ready. `batching`: how the copy requests of a
   * tick are gathered (their spacing), see {@link TickBatchOptions}; `niceness`: how much lower
   * than the process the threads are scheduled (see thread-boot.mjs).
   */
  static async start(options: {
    size: number;
    masterKey: Buffer;
    logger: Logger;
    batching?: TickBatchOptions;
    niceness?: number;
  }): Promise<CopyThreads> {
    const { size, masterKey, logger, batching = {}, niceness = 0 } = options;
    const pool = new CopyThreads(masterKey, logger, niceness, batching);
    await Promise.all(Array.from({ length: size }, () => pool.#spawn()));
    return pool;
  }

  /** Makes one copy on a thread (with the other copies asked for in this tick). */
  run(task: CopyTask): Promise<Buffer> {
    if (this.#closed) return Promise.reject(new Error('copy threads are closed'));
    return this.#batch.add('', task);
  }

  /** Shares a tick's tasks out among the threads, least loaded first; one outcome per task, in order. */
  #send(tasks: CopyTask[]): Promise<Buffer>[] {
    if (this.#closed) throw new Error('copy threads are closed');
    if (this.#slots.length === 0) throw new Error('no copy thread is running (one is being restarted)');
    const share = Math.ceil(tasks.length / this.#slots.length);
    const outcomes: Promise<Buffer>[] = [];
    const slots = [...this.#slots].sort((a, b) => a.tasks - b.tasks);
    for (let start = 0, i = 0; start < tasks.length; start += share, i++) {
      const slot = slots[i % slots.length];
      if (!slot) break;
      const chunk = tasks.slice(start, start + share);
      const results = this.#request(slot, chunk);
      chunk.forEach((_, j) =>
        outcomes.push(
          results.then((r) => {
            const out = r[j];
            if (!out) throw new Error('copy thread gave no result for a task');
            if ('error' in out) throw new Error(out.error);
            return Buffer.from(out.raw.buffer, out.raw.byteOffset, out.raw.byteLength);
          }),
        ),
      );
    }
    return outcomes;
  }

  #request(slot: Slot, tasks: CopyTask[]): Promise<CopyOutcome[]> {
    const id = this.#next++;
    slot.tasks += tasks.length;
    return new Promise<CopyOutcome[]>((resolve, reject) => {
      slot.pending.set(id, { size: tasks.length, resolve, reject });
      const request: CopyRequest = { id, tasks };
      try {
        slot.worker.postMessage(request);
      } catch (err) {
        // Not sent (e.g. a task that cannot be cloned): nothing of it is pending in the thread.
        slot.pending.delete(id);
        slot.tasks -= tasks.length;
        throw err;
      }
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }

  #spawn(): Promise<void> {
    const worker = new Worker(new URL('./thread-boot.mjs', import.meta.url), {
      workerData: {
        entry: new URL('./copy-thread.ts', import.meta.url).href,
        threadName: 'bm-copy',
        niceness: this.niceness,
        masterKey: this.masterKey.toString('hex'),
      },
    });
    const slot: Slot = { worker, pending: new Map(), tasks: 0 };
    this.#slots.push(slot);
    return new Promise<void>((ready, failed) => {
      worker.on('message', (m: Reply) => {
        if ('ready' in m) return ready();
        const p = slot.pending.get(m.id);
        if (!p) return;
        slot.pending.delete(m.id);
        slot.tasks -= p.size;
        p.resolve(m.results);
      });
      worker.on('error', (err) => {
        this.logger.error({ err }, 'copy thread failed');
        failed(err);
      });
      worker.on('exit', (code) => {
        this.#slots.splice(this.#slots.indexOf(slot), 1);
        for (const p of slot.pending.values()) p.reject(new Error(`copy thread exited (${code})`));
        slot.pending.clear();
        slot.tasks = 0;
        if (!this.#closed) {
          this.logger.warn({ code }, 'copy thread exited; starting another');
          this.#spawn().catch((err: unknown) => this.logger.error({ err }, 'copy thread not restarted'));
        }
      });
    });
  }
}
