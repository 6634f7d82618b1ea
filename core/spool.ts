import { open, readFile, rm, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from './errors.js';

/**
 * Message bodies too large to sit in Redis, as files in one directory (the data dir's `spool/`
 * by default; workers on other hosts need it on a shared volume). A body is fsynced before its
 * job is queued, so a 202/250 never points at a file that a crash could lose.
 */
export class Spool {
  constructor(readonly dir: string) {}

  /** Creates the directory. */
  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  /** Writes and fsyncs a body; returns its name. A full disk is `SPOOL_FULL` (retry later). */
  async write(messageId: string, body: Buffer): Promise<string> {
    const name = `${messageId}.eml`;
    const path = join(this.dir, name);
    try {
      const handle = await open(path, 'wx', 0o600);
      try {
        await handle.writeFile(body);
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (err) {
      await rm(path, { force: true }).catch(() => undefined);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT') {
        throw new AppError('SPOOL_FULL', 'no room to store the message now; retry later', {
          retryable: true,
          cause: err,
        });
      }
      throw err;
    }
    return name;
  }

  /** Reads a body back. */
  read(name: string): Promise<Buffer> {
    return readFile(join(this.dir, this.#safe(name)));
  }

  /** Removes a body after its message reached a final outcome. */
  async remove(name: string): Promise<void> {
    await rm(join(this.dir, this.#safe(name)), { force: true });
  }

  #safe(name: string): string {
    if (!/^[A-Za-z0-9_-]+\.eml$/.test(name)) throw new Error(`bad spool file name ${name}`);
    return name;
  }
}
