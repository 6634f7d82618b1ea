import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import selfsigned from 'selfsigned';

/** A certificate and its key, PEM. */
export interface TlsMaterial {
  cert: string;
  key: string;
}

/** Options of {@link loadTlsMaterial}. */
export interface TlsMaterialOptions {
  certPath: string | undefined;
  keyPath: string | undefined;
  dataDir: string;
  /** Name the generated certificate is issued to. */
  hostname: string;
}

/**
 * Loads the configured certificate, or a self-signed one generated into `<dataDir>/tls` on first
 * start (kept, so clients that pin it keep working across restarts).
 */
export async function loadTlsMaterial(options: TlsMaterialOptions): Promise<TlsMaterial> {
  if (options.certPath && options.keyPath) {
    return { cert: await readFile(options.certPath, 'utf8'), key: await readFile(options.keyPath, 'utf8') };
  }
  const dir = join(options.dataDir, 'tls');
  const certFile = join(dir, 'smtp-cert.pem');
  const keyFile = join(dir, 'smtp-key.pem');
  const existing = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]).catch(() => undefined);
  if (existing) return { cert: existing[0], key: existing[1] };
  const altName = isIP(options.hostname)
    ? { type: 7 as const, ip: options.hostname }
    : { type: 2 as const, value: options.hostname };
  const pems = await selfsigned.generate([{ name: 'commonName', value: options.hostname }], {
    keySize: 2048,
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 5 * 365 * 24 * 3600 * 1000),
    extensions: [{ name: 'subjectAltName', altNames: [altName, { type: 2, value: 'localhost' }] }],
  });
  await mkdir(dir, { recursive: true });
  await writeFile(keyFile, pems.private, { mode: 0o600 });
  await writeFile(certFile, pems.cert);
  return { cert: pems.cert, key: pems.private };
}
