import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '../..');
const CORPUS = resolve(REPO, '../shared/corpora/bounces');

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
    child.on('exit', (code) => done({ code, stdout, stderr }));
  });
}

describe('bridgemail classify FILE...', () => {
  it('prints one JSON line per file with the path as given, without any server', async () => {
    expect(existsSync(CORPUS), `${CORPUS} (the shared bounce corpus) must exist`).toBe(true);
    const files = readdirSync(join(CORPUS, 'eml'))
      .slice(0, 5)
      .map((f) => join('..', 'shared', 'corpora', 'bounces', 'eml', f));
    const negative = join('..', 'shared', 'corpora', 'bounces', 'negative', readdirSync(join(CORPUS, 'negative'))[0]!);
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
    const good = join('..', 'shared', 'corpora', 'bounces', 'eml', readdirSync(join(CORPUS, 'eml'))[0]!);
    const { code, stdout } = await run(['classify', 'missing.eml', good]);
    expect(code).toBe(1);
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ file: 'missing.eml', error: expect.any(String) });
    expect(lines[1]).toMatchObject({ file: good });
  });
});
