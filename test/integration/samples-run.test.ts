import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REST_LANGUAGES, type CodeSample } from '../../admin-api/index.js';
import { useHarness } from '../support/harness.js';
import { VERP_SENDER } from '../support/verp.js';
import { waitFor } from '../support/wait.js';

// Each sample the admin API hands out is written verbatim to a file and run by its real
// interpreter against the running platform; the message must then reach the loopback sink.
// Needs sh + bash + curl, php-cli + php-curl, python3 and node on PATH. The curl sample runs under
// `sh` (dash on Debian): it must be a plain command any POSIX shell runs. The SMTP samples have
// their own test (samples-smtp-run.test.ts).

type RestLanguage = (typeof REST_LANGUAGES)[number];
const RUNNERS: Record<RestLanguage, (file: string) => [string, string[]]> = {
  curl: (file) => ['sh', [file]],
  bash: (file) => ['bash', [file]],
  php: (file) => ['php', [file]],
  node: (file) => [process.execPath, [file]],
  python: (file) => ['python3', [file]],
};
const LANGUAGES = REST_LANGUAGES;
const VARIANTS = ['json', 'attachment'] as const;
const RUN_TIMEOUT_MS = 30_000;

interface RunResult {
  code: number | string | null;
  stdout: string;
  stderr: string;
}

/** Runs a file with its interpreter; never throws on a non-zero exit, which the test asserts instead. */
function runSample(language: RestLanguage, file: string, cwd: string): Promise<RunResult> {
  const [cmd, args] = RUNNERS[language](file);
  // A proxy configured on the machine must not intercept requests to 127.0.0.1.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(https?|all|no)_proxy$/i.test(k)));
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, env, timeout: RUN_TIMEOUT_MS, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new Error(`${cmd} is not installed (apt-get install -y php-cli php-curl python3 curl)`));
        return;
      }
      const code = err ? ((err as { code?: number | string }).code ?? (err as { signal?: string }).signal ?? null) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

describe('every code sample runs verbatim and delivers its message', () => {
  const h = useHarness();
  let dir: string;
  let bridge: any;
  let samples: CodeSample[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bridgemail-samples-run-'));
    const pool = await h.platform.createPool('samples', ['127.0.0.2']);
    bridge = await h.platform.createBridge('samples-app', pool.id, { trackOpens: false, trackClicks: false });
    const res = await h.platform.admin('GET', `/admin/v1/bridges/${bridge.id}/samples`);
    expect(res.status).toBe(200);
    samples = (res.body.data as CodeSample[]).filter((s) => s.transport === 'rest');
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('hands out 10 REST samples (5 languages x json/attachment) filled with the real API URL and key', () => {
    expect(samples).toHaveLength(10);
    const combos = samples.map((s) => `${s.language}/${s.variant}`).sort();
    expect(combos).toEqual(LANGUAGES.flatMap((l) => VARIANTS.map((v) => `${l}/${v}`)).sort());
    expect(new Set(samples.map((s) => s.filename)).size).toBe(10);
    expect(bridge.apiKey).toMatch(/^bm_/);
    for (const s of samples) {
      expect(s.title, s.filename).toEqual(expect.any(String));
      expect(s.code, s.filename).toContain(bridge.apiKey);
      expect(s.code, s.filename).toContain(h.platform.urls.api);
    }
  });

  for (const language of LANGUAGES) {
    for (const variant of VARIANTS) {
      it(`${language} / ${variant}: exits 0 and exactly one message reaches the sink`, async () => {
        const sample = samples.find((s) => s.language === language && s.variant === variant);
        expect(sample, `${language}/${variant} sample`).toBeDefined();
        const file = join(dir, sample!.filename);
        await writeFile(file, sample!.code);

        const before = h.sink.messages.length;
        const result = await runSample(language, file, dir);
        expect(result, `${sample!.filename}:\n${sample!.code}`).toMatchObject({ code: 0 });
        // Every sample prints the response body: {"id":"msg_..."}.
        const id = /"id"\s*:\s*"(msg_[^"]+)"/.exec(result.stdout)?.[1];
        expect(id, `stdout: ${result.stdout}\nstderr: ${result.stderr}`).toBeDefined();

        const received = await waitFor(
          () => h.sink.messages.slice(before).find((m) => m.raw.toString().includes(`<${id}@`)),
          20_000,
          `${language}/${variant} message ${id} at the sink`,
        );
        expect(h.sink.messages.length).toBe(before + 1);
        expect(received.from).toMatch(VERP_SENDER);
        expect(received.raw.toString()).toMatch(/^From: .*sender@example\.com/m);
        expect(received.to).toEqual(['recipient@example.com']);
        expect(received.remoteAddress).toBe('127.0.0.2');

        const mail = await simpleParser(received.raw);
        expect(mail.messageId).toBe(`<${id}@bridgemail.test>`);
        expect(mail.subject).toBe('Hello from Bridgemail');
        expect(mail.from?.value.map((a) => a.address)).toEqual(['sender@example.com']);
        expect(mail.text?.trim()).toBe('It works.');
        if (variant === 'json') {
          expect(mail.html).toContain('<p>It works.</p>');
          expect(mail.attachments).toHaveLength(0);
        } else {
          expect(mail.attachments).toHaveLength(1);
          const [attachment] = mail.attachments;
          expect(attachment?.filename).toBe('hello.txt');
          expect(attachment?.contentType).toBe('text/plain');
          expect(attachment?.content.toString('utf8')).toBe('Hello attachment\n');
        }
      });
    }
  }

  it('delivered one message per sample, all through the Bridge', async () => {
    const fromSamples = h.sink.messages.filter((m) => /^From: .*sender@example\.com/m.test(m.raw.toString()));
    expect(fromSamples).toHaveLength(10);
    const stats = await waitFor(
      async () => {
        const s = await h.platform.stats(bridge.id);
        return s.delivered === 10 ? s : undefined;
      },
      20_000,
      'stats delivered=10',
    );
    expect(stats).toMatchObject({ sent: 10, delivered: 10, deferred: 0, bounced: 0 });
  });
});
