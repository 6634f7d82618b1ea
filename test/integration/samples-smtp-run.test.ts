import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMTP_LANGUAGES, SMTP_VARIANTS, type CodeSample } from '../../admin-api/index.js';
import { useHarness } from '../support/harness.js';
import { VERP_SENDER } from '../support/verp.js';
import { waitFor } from '../support/wait.js';

// Each SMTP sample the admin API hands out is written verbatim to a file and run by its real
// runtime against the platform's submission ports; the message must then reach the loopback sink.
// The platform serves a certificate of a CA made here, which the runtimes trust through
// SSL_CERT_FILE (OpenSSL: Python, PHP, swaks) and NODE_EXTRA_CA_CERTS, so the samples' own
// certificate checks stay on. Needs openssl, php-cli + Debian's libphp-phpmailer, python3, swaks
// + libnet-ssleay-perl.

type SmtpLanguage = (typeof SMTP_LANGUAGES)[number];
const DEBIAN_PHPMAILER = '/usr/share/php/libphp-phpmailer/autoload.php';
const RUN_TIMEOUT_MS = 30_000;

const onPath = (cmd: string) =>
  (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, cmd)));

/** Runtime of each sample, and why it is missing when it is. */
const RUNTIMES: Record<SmtpLanguage, { run: (file: string) => [string, string[]]; missing: () => string | undefined }> =
  {
    phpmailer: {
      run: (file) => ['php', [file]],
      missing: () =>
        !onPath('php')
          ? 'php is not installed (apt-get install php-cli)'
          : !existsSync(DEBIAN_PHPMAILER)
            ? `PHPMailer is not installed (apt-get install libphp-phpmailer: ${DEBIAN_PHPMAILER})`
            : undefined,
    },
    nodemailer: { run: (file) => [process.execPath, [file]], missing: () => undefined },
    smtplib: { run: (file) => ['python3', [file]], missing: () => (onPath('python3') ? undefined : 'no python3') },
    swaks: { run: (file) => ['sh', [file]], missing: () => (onPath('swaks') ? undefined : 'swaks is not installed') },
  };

/** A CA and a certificate it issued for 127.0.0.1 and localhost, made with the openssl command. */
function makeCertificates(dir: string): void {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl(
    ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2'],
    ...['-subj', '/CN=Bridgemail samples test CA'],
  );
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'smtp.key', '-out', 'smtp.csr', '-subj', '/CN=127.0.0.1');
  openssl(
    ...['x509', '-req', '-in', 'smtp.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial'],
    ...['-out', 'smtp.pem', '-days', '2', '-extfile', 'ext.cnf'],
  );
}

describe('every SMTP code sample runs verbatim and delivers its message', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bridgemail-smtp-samples-'));
  beforeAll(async () => {
    await writeFile(
      join(dir, 'ext.cnf'),
      'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n',
    );
    makeCertificates(dir);
  });
  const h = useHarness({ BRIDGEMAIL_TLS_CERT: join(dir, 'smtp.pem'), BRIDGEMAIL_TLS_KEY: join(dir, 'smtp.key') });
  let bridge: any;
  let samples: CodeSample[];

  beforeAll(async () => {
    const pool = await h.platform.createPool('smtp-samples', ['127.0.0.2']);
    bridge = await h.platform.createBridge('smtp-samples-app', pool.id, { trackOpens: false, trackClicks: false });
    const res = await h.platform.admin('GET', `/admin/v1/bridges/${bridge.id}/samples`);
    expect(res.status).toBe(200);
    samples = (res.body.data as CodeSample[]).filter((s) => s.transport === 'smtp');
    // What `composer require phpmailer/phpmailer` and `npm install nodemailer` would leave beside the sample.
    await mkdir(join(dir, 'vendor'));
    await writeFile(join(dir, 'vendor', 'autoload.php'), `<?php\nrequire '${DEBIAN_PHPMAILER}';\n`);
    await mkdir(join(dir, 'node_modules'));
    await symlink(resolve('node_modules/nodemailer'), join(dir, 'node_modules', 'nodemailer'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('hands out 8 SMTP samples filled with the Bridge SMTP host, both ports, username and password', () => {
    expect(samples.map((s) => `${s.language}/${s.variant}`).sort()).toEqual(
      SMTP_LANGUAGES.flatMap((l) => SMTP_VARIANTS.map((v) => `${l}/${v}`)).sort(),
    );
    for (const s of samples) {
      expect(s.code, s.filename).toContain(bridge.smtp.host);
      expect(s.code, s.filename).toContain(String(s.variant === 'tls' ? bridge.smtp.securePort : bridge.smtp.port));
      expect(s.code, s.filename).toContain(bridge.smtp.username);
      expect(s.code, s.filename).toContain(bridge.smtp.password);
    }
  });

  let delivered = 0;
  for (const language of SMTP_LANGUAGES) {
    const missing = RUNTIMES[language].missing();
    if (missing) console.warn(`SMTP samples in ${language} left out: ${missing}`);
    for (const variant of SMTP_VARIANTS) {
      it.skipIf(missing !== undefined)(
        `${language} / ${variant}: exits 0 and one message reaches the sink`,
        async () => {
          const sample = samples.find((s) => s.language === language && s.variant === variant);
          expect(sample, `${language}/${variant} sample`).toBeDefined();
          const file = join(dir, sample!.filename);
          await writeFile(file, sample!.code);

          const before = h.sink.messages.length;
          const result = await run(language, file, dir);
          // swaks needs libnet-ssleay-perl for TLS (a Recommends of Debian's swaks package).
          expect(result.code, `${sample!.filename}:\n${sample!.code}\nstderr: ${result.stderr}`).toBe(0);
          const received = await waitFor(
            () => h.sink.messages[before],
            20_000,
            `${language}/${variant} message at the sink`,
          );
          delivered++;
          expect(received.from).toMatch(VERP_SENDER);
          expect(received.to).toEqual(['recipient@example.com']);
          expect(received.remoteAddress).toBe('127.0.0.2');
          const mail = await simpleParser(received.raw);
          expect(mail.subject).toBe('Hello from Bridgemail');
          expect(mail.from?.value.map((a) => a.address)).toEqual(['sender@example.com']);
          expect(mail.text?.trim()).toBe('It works.');
          if (language !== 'swaks') expect(mail.html).toContain('<p>It works.</p>');
          expect(h.sink.messages.length).toBe(before + 1);
        },
      );
    }
  }

  it('keeps certificate checks on: without the test CA trusted, every sample refuses the server', async () => {
    const before = h.sink.messages.length;
    for (const language of SMTP_LANGUAGES.filter((l) => RUNTIMES[l].missing() === undefined)) {
      const sample = samples.find((s) => s.language === language && s.variant === 'starttls');
      const file = join(dir, `untrusted-${sample!.filename}`);
      await writeFile(file, sample!.code);
      const result = await run(language, file, dir, { trustCa: false });
      expect(result.code, `${language}: ${result.stdout}${result.stderr}`).not.toBe(0);
    }
    expect(h.sink.messages.length).toBe(before);
  });

  it('counted every delivered sample message on the Bridge', async () => {
    expect(delivered).toBeGreaterThan(0);
    await waitFor(async () => (await h.platform.stats(bridge.id)).delivered === delivered, 20_000, 'stats');
  });
});

/** Runs a file with its runtime; never throws on a non-zero exit, which the test asserts instead. */
function run(language: SmtpLanguage, file: string, cwd: string, { trustCa = true } = {}) {
  const [cmd, args] = RUNTIMES[language].run(file);
  const env = { ...process.env };
  delete env.SSL_CERT_FILE;
  delete env.NODE_EXTRA_CA_CERTS;
  if (trustCa) Object.assign(env, { SSL_CERT_FILE: join(cwd, 'ca.pem'), NODE_EXTRA_CA_CERTS: join(cwd, 'ca.pem') });
  return new Promise<{ code: number | string | null; stdout: string; stderr: string }>((done) => {
    execFile(cmd, args, { cwd, env, timeout: RUN_TIMEOUT_MS, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number | string }).code ?? (err as { signal?: string }).signal ?? null) : 0;
      done({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}
