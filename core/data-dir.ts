import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

/**
 * Reads a secret file from the data dir, or creates it with `generate()` (mode 0600) on first start.
 * Returns the value and whether it was just created.
 */
export async function readOrCreateSecret(
  dataDir: string,
  name: string,
  generate: () => string = () => randomBytes(32).toString('hex'),
): Promise<{ value: string; created: boolean }> {
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, name);
  const existing = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (existing !== undefined && existing.trim() !== '') return { value: existing.trim(), created: false };
  const value = generate();
  // 'wx' so two processes starting at once cannot both create different secrets.
  try {
    await writeFile(path, `${value}\n`, { mode: 0o600, flag: 'wx' });
    return { value, created: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readOrCreateSecret(dataDir, name, generate);
    throw err;
  }
}
