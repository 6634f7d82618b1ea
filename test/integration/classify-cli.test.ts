import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { corpusDir, leftOutLine } from '../support/bounce-corpora.js';

const REPO = resolve(import.meta.dirname, '../..');
// Read in place; a user's clone has no ../shared, and the test that needs it is left out there.
const CORPUS = corpusDir('bounces');
const haveCorpus = existsSync(join(CORPUS, 'eml'));
if (!haveCorpus) console.log(leftOutLine('bounces'));

/** A corpus file as a path relative to the repository, the way a user types it. */
const corpusPath = (dir: 'eml' | 'negative', name: string) => relative(REPO, join(CORPUS, dir, name));

// A plain message (not a bounce) the test writes itself, so the error-path test needs no corpus.
const scratch = mkdtempSync(join(tmpdir(), 'bridgemail-classify-cli-'));
const plainMessage = join(scratch, 'hello.eml');
writeFileSync(
  plainMessage,
  'From: Ana <ana@example.com>\r\nTo: bo@example.net\r\nSubject: Lunch\r\nDate: Sun, 6 Dec 2026 10:00:00 +0000\r\n\r\nNoon?\r\n',
);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(REPO, 'bin/bridgemail.js'), ...args], {
      cwd: REPO,
      env: { PATH: process.env.PATH },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('bridgemail classify FILE...', () => {
  it.runIf(haveCorpus)('prints one JSON line per file with the path as given, without any server', async () => {
    const files = readdirSync(join(CORPUS, 'eml'))
      .slice(0, 5)
      .map((f) => corpusPath('eml', f));
    const negative = corpusPath('negative', readdirSync(join(CORPUS, 'negative'))[0]!);
    const { code, stdout } = await run(['classify', ...files, negative]);
    expect(code).toBe(0);
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.file)).toEqual([...files, negative]);
    for (const l of lines.slice(0, 5)) expect(['bounce', 'complaint']).toContain(l.kind);
    expect(lines[5]?.kind).toBe('none');
    for (const l of lines) expect(l).toHaveProperty('hard');
  });

  it('reports an unreadable file and keeps going, exit code 1', async () => {
    const { code, stdout } = await run(['classify', 'missing.eml', plainMessage]);
    expect(code).toBe(1);
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ file: 'missing.eml', error: expect.any(String) });
    expect(lines[1]).toMatchObject({ file: plainMessage, kind: 'none', hard: false });
  });
});
