import { describe, expect, it } from 'vitest';
import { findSample as find, SAMPLE_TARGET as target } from '../../test/support/sample-target.js';
import { renderSamples, sendEndpoint, shellQuote, type SampleTarget } from './index.js';

/** Every character some language treats specially inside a string or a command line. */
const HOSTILE = `k'"$(id)\`id\`\\n%{x}{y}\${z}é😀`;
const crafted: SampleTarget = { ...target, apiUrl: `http://127.0.0.1:8080/a'b"c$d`, apiKey: HOSTILE };

/** Reads back a POSIX shell word made of single-quoted runs and backslash escapes. */
function unshell(word: string): string {
  let out = '';
  for (const m of word.matchAll(/'([^']*)'|\\(.)|(.)/gsu)) {
    if (m[3] !== undefined) throw new Error(`unquoted ${m[3]} in ${word}`);
    out += m[1] ?? m[2] ?? '';
  }
  return out;
}
const unphp = (lit: string) => /^'((?:[^'\\]|\\.)*)'$/su.exec(lit)![1]!.replace(/\\([\\'])/g, '$1');
function unpython(lit: string): string {
  const inner = /^"((?:[^"\\]|\\.)*)"$/su.exec(lit)![1]!;
  expect(inner).toMatch(/^[\x20-\x7e]*$/);
  return inner.replace(/\\(x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8}|.)/g, (_, e: string) =>
    e.length > 1 ? String.fromCodePoint(parseInt(e.slice(1), 16)) : e,
  );
}

const capture = (code: string, re: RegExp) => re.exec(code)![1]!;

/** The REST samples only: the SMTP ones are tested below. */
const restSamples = (t: SampleTarget) => renderSamples(t).filter((s) => s.transport === 'rest');

describe('renderSamples: REST', () => {
  const samples = restSamples(target);

  it('renders every language in both variants, each under its own file name', () => {
    const pairs = samples.map((s) => `${s.language}/${s.variant}`).sort();
    const expected = ['bash', 'curl', 'node', 'php', 'python'].flatMap((l) => [`${l}/attachment`, `${l}/json`]);
    expect(pairs).toEqual(expected);
    expect(new Set(samples.map((s) => s.filename)).size).toBe(10);
    expect(find(samples, 'python', 'attachment').filename).toBe('send-attachment.py');
    expect(find(samples, 'curl', 'json').filename).toBe('send-curl.sh');
    expect(find(samples, 'node', 'json').filename).toBe('send.mjs');
    for (const s of samples) expect(s.title).not.toBe('');
  });

  it('fills in the URL and key literally and checks the answer', () => {
    for (const s of samples) {
      expect(s.code, s.filename).toContain(target.apiUrl);
      expect(s.code, s.filename).toContain(target.apiKey);
      expect(s.code, s.filename).toContain('/v1/send');
      expect(s.code, s.filename).toContain('Bearer');
      // curl's --fail-with-body exits non-zero on an HTTP error; the others compare with 202.
      expect(s.code, s.filename).toContain(s.language === 'curl' ? '--fail-with-body' : '202');
      expect(s.code, s.filename).not.toMatch(/process\.env|getenv|os\.environ/);
    }
  });

  it('sends the JSON message in the json variant', () => {
    for (const s of samples.filter((x) => x.variant === 'json')) {
      expect(s.code, s.filename).toContain('application/json');
      for (const v of [
        'sender@example.com',
        'recipient@example.com',
        'Hello from Bridgemail',
        'It works.',
        '<p>It works.</p>',
      ]) {
        expect(s.code, s.filename).toContain(v);
      }
    }
    expect(find(samples, 'curl', 'json').code).toContain(
      `'{"from":"sender@example.com","to":"recipient@example.com","subject":"Hello from Bridgemail","text":"It works.","html":"<p>It works.</p>"}'`,
    );
  });

  it('sends text fields and one file part named attachment in the attachment variant', () => {
    for (const s of samples.filter((x) => x.variant === 'attachment')) {
      expect(s.code, s.filename).not.toContain('application/json');
      expect(s.code, s.filename).not.toContain('<p>');
      for (const v of ['from', 'to', 'subject', 'text', 'attachment', 'hello.txt', 'text/plain', 'Hello attachment']) {
        expect(s.code, s.filename).toContain(v);
      }
    }
    expect(find(samples, 'php', 'attachment').code).toContain("new CURLFile($file, 'text/plain', 'hello.txt')");
    expect(find(samples, 'python', 'attachment').code).toContain('multipart/form-data; boundary=');
    expect(find(samples, 'bash', 'attachment').code).toMatch(/^#!\/usr\/bin\/env bash\n[\s\S]*set -euo pipefail/);
  });

  describe('with a key and URL full of quotes, dollars and backslashes', () => {
    const hostile = restSamples(crafted);
    const url = crafted.apiUrl;

    it('quotes them for the shell', () => {
      const curl = find(hostile, 'curl', 'json').code;
      expect(unshell(capture(curl, /-H ('.*?') \\\n/su))).toBe(`Authorization: Bearer ${HOSTILE}`);
      expect(unshell(capture(curl, /-w '\\n' (\S+) /u))).toBe(`${url}/v1/send`);
      const bash = find(hostile, 'bash', 'attachment').code;
      expect(unshell(capture(bash, /^API_KEY=(.*)$/mu))).toBe(HOSTILE);
      expect(unshell(capture(bash, /^API_URL=(.*)$/mu))).toBe(url);
    });

    it('quotes them for PHP, Node and Python', () => {
      for (const variant of ['json', 'attachment']) {
        const php = find(hostile, 'php', variant).code;
        expect(unphp(capture(php, /^\$apiKey = (.*);$/mu))).toBe(HOSTILE);
        expect(unphp(capture(php, /^\$apiUrl = (.*);$/mu))).toBe(url);
        const node = find(hostile, 'node', variant).code;
        expect(JSON.parse(capture(node, /^const apiKey = (.*);$/mu))).toBe(HOSTILE);
        expect(JSON.parse(capture(node, /^const apiUrl = (.*);$/mu))).toBe(url);
        const py = find(hostile, 'python', variant).code;
        expect(unpython(capture(py, /^API_KEY = (.*)$/mu))).toBe(HOSTILE);
        expect(unpython(capture(py, /^API_URL = (.*)$/mu))).toBe(url);
      }
    });
  });

  it('drops a trailing slash from the API URL', () => {
    expect(sendEndpoint('http://h:1/')).toBe('http://h:1/v1/send');
    const code = find(restSamples({ ...target, apiUrl: 'http://h:1//' }), 'node', 'json').code;
    expect(code).toContain('const apiUrl = "http://h:1";');
  });
});

describe('shellQuote', () => {
  it('wraps in single quotes and closes them around each single quote', () => {
    expect(shellQuote('plain')).toBe(`'plain'`);
    expect(shellQuote(`it's`)).toBe(`'it'\\''s'`);
    expect(shellQuote('')).toBe(`''`);
    expect(unshell(shellQuote(HOSTILE))).toBe(HOSTILE);
  });
});
