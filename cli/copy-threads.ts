import { Worker } from 'node:worker_threads';
import type { Logger } from '../core/index.js';
import type { CopyTask } from './copy-work.js';

type Reply = { id: number; raw: Uint8Array } | { id: number; error: string } | { ready: true };

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve: (b: Buffer) => void; reject: (e: Error) => void }>;
}

/**
 * A pool of worker threads making copies (tracking rewrite + DKIM signature), so that this CPU
 * work runs on the machine's other cores while the main thread serves ingress and SMTP. A task
 * goes to the thread with the fewest pending tasks. A thread that dies fails its pending tasks
 * (the delivery job is retried) and is replaced.
 */
export class CopyThreads {
  readonly #slots: Slot[] = [];
  #next = 0;
  #closed = false;

  private constructor(
    private readonly masterKey: Buffer,
    private readonly logger: Logger,
  ) {}

  /** Starts `size` threads and waits until each is ready. */
  static async start(size: number, masterKey: Buffer, logger: Logger): Promise<CopyThreads> {
    const pool = new CopyThreads(masterKey, logger);
    await Promise.all(Array.from({ length: size }, () => pool.#spawn()));
    return pool;
  }

  /** Makes one copy on a thread. */
  run(task: CopyTask): Promise<Buffer> {
    if (this.#closed) return Promise.reject(new Error('copy threads are closed'));
    if (this.#slots.length === 0) return Promise.reject(new Error('no copy thread is running (one is being restarted)'));
    const slot = this.#slots.reduce((best, s) => (s.pending.size < best.pending.size ? s : best));
    const id = this.#next++;
    return new Promise<Buffer>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ id, task });
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }

  #spawn(): Promise<void> {
    const worker = new Worker(new URL('./thread-boot.mjs', import.meta.url), {
      workerData: { entry: new URL('./copy-thread.ts', import.meta.url).href, threadName: 'bm-copy', masterKey: this.masterKey.toString('hex') },
    });
    const slot: Slot = { worker, pending: new Map() };
    this.#slots.push(slot);
    return new Promise<void>((ready, failed) => {
      worker.on('message', (m: Reply) => {
        if ('ready' in m) return ready();
        const p = slot.pending.get(m.id);
        if (!p) return;
        slot.pending.delete(m.id);
        if ('error' in m) p.reject(new Error(m.error));
        else p.resolve(Buffer.from(m.raw.buffer, m.raw.byteOffset, m.raw.byteLength));
      });
      worker.on('error', (err) => {
        this.logger.error({ err }, 'copy thread failed');
        failed(err);
      });
      worker.on('exit', (code) => {
        this.#slots.splice(this.#slots.indexOf(slot), 1);
        for (const p of slot.pending.values()) p.reject(new Error(`copy thread exited (${code})`));
        slot.pending.clear();
        if (!this.#closed) {
          this.logger.warn({ code }, 'copy thread exited; starting another');
          this.#spawn().catch((err: unknown) => this.logger.error({ err }, 'copy thread not restarted'));
        }
      });
    });
  }
}
