import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderSamples, type SampleLanguage, type SampleTarget } from '../../admin-api/samples/index.js';

// Syntax only: the samples are parsed by the real interpreters but never run, so no request is made.
// Needs sh, bash, php-cli (+ php-curl for the extension check), node and python3 on PATH. The curl and
// swaks commands are checked by `sh` (dash on Debian), which knows no bash syntax.
const run = promisify(execFile);

const CHECKERS: Record<SampleLanguage, (file: string) => [string, string[]]> = {
  curl: (file) => ['sh', ['-n', file]],
  bash: (file) => ['bash', ['-n', file]],
  php: (file) => ['php', ['-l', file]],
  node: (file) => [process.execPath, ['--check', file]],
  python: (file) => ['python3', ['-m', 'py_compile', file]],
  phpmailer: (file) => ['php', ['-l', file]],
  nodemailer: (file) => [process.execPath, ['--check', file]],
  smtplib: (file) => ['python3', ['-m', 'py_compile', file]],
  swaks: (file) => ['sh', ['-n', file]],
};

/** A file each checker must refuse, proving the check is not vacuous. */
const BROKEN: Record<SampleLanguage, [string, string]> = {
  curl: ['broken-curl.sh', "curl 'unterminated\n"],
  bash: ['broken.sh', 'if true; then\n'],
  php: ['broken.php', '<?php\n$x = ;\n'],
  node: ['broken.mjs', 'const x = ;\n'],
  python: ['broken.py', 'def f(:\n'],
  phpmailer: ['broken-mailer.php', '<?php\n$mail->Port = ;\n'],
  nodemailer: ['broken-mailer.mjs', 'import x from ;\n'],
  smtplib: ['broken-smtp.py', 'with smtplib.SMTP(:\n'],
  swaks: ['broken-swaks.sh', "swaks --to 'unterminated\n"],
};

const base: SampleTarget = {
  apiUrl: 'http://127.0.0.1:8080',
  apiKey: 'bm_live_AbC-123_xyz',
  smtpHost: '127.0.0.1',
  smtpPort: 587,
  smtpsPort: 465,
  username: 'bridge-user',
  password: 'secret',
};
const TARGETS: Record<string, SampleTarget> = {
  plain: base,
  hostile: {
    ...base,
    apiUrl: `http://127.0.0.1:8080/p'q"r$s`,
    apiKey: `k'"$(id)\`id\`\\\n%{x}\${z}é😀`,
    smtpHost: `h'"$(id)`,
    username: `u'"\\$x`,
    password: `p'"$(id)\`id\`\\\n%{x}\${z}é😀`,
  },
};

async function check(language: SampleLanguage, file: string): Promise<{ ok: boolean; output: string }> {
  const [cmd, args] = CHECKERS[language](file);
  try {
    const { stdout, stderr } = await run(cmd, args, { timeout: 30_000 });
    return { ok: true, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT')
      throw new Error(`${cmd} is not installed (apt-get install -y php-cli php-curl)`, { cause: err });
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('code samples parse in their own language', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bridgemail-samples-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const [name, target] of Object.entries(TARGETS)) {
    it(`every ${name} sample passes its syntax check`, async () => {
      const sub = join(dir, name);
      await mkdir(sub);
      const samples = renderSamples(target);
      expect(samples).toHaveLength(18);
      for (const sample of samples) {
        const file = join(sub, sample.filename);
        await writeFile(file, sample.code);
        const result = await check(sample.language, file);
        expect(result, `${sample.filename}:\n${sample.code}`).toMatchObject({ ok: true });
      }
    });
  }

  it('each checker refuses a broken file', async () => {
    for (const [language, [filename, code]] of Object.entries(BROKEN) as [SampleLanguage, [string, string]][]) {
      const file = join(dir, filename);
      await writeFile(file, code);
      expect((await check(language, file)).ok, filename).toBe(false);
    }
  });

  it('the PHP samples have the curl extension they need', async () => {
    const { stdout } = await run('php', [
      '-r',
      'echo function_exists("curl_init") && class_exists("CURLFile") ? "yes" : "no";',
    ]);
    expect(stdout).toBe('yes');
  });
});
