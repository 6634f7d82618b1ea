import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { useHarness, type Harness } from './harness.js';

// Shared setup of the web console tests on the admin port: a temp console build, a platform that
// serves it, and helpers to call the admin port with a session cookie, a CSRF token or a Bearer token.

/** The `index.html` of the test console build. */
export const INDEX_HTML =
  '<!doctype html><html><head><title>Bridgemail console (test build)</title></head><body><div id="app"></div></body></html>\n';

/** The hashed asset of the test console build, served at `/assets/x.js`. */
export const ASSET_JS = 'console.log("bridgemail console test asset");\n';

/** A response of the admin port read whole; `body` is the parsed JSON, or the text when not JSON. */
export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

/** What a {@link ConsoleHarness.call} sends besides method and path. */
export interface CallOptions {
  /** Value of the `bm_session` cookie. */
  cookie?: string;
  csrf?: string;
  bearer?: string;
  /** JSON-encoded unless a string. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** A successful console login: the reply, its `bm_session` Set-Cookie line, the cookie value and the CSRF token. */
export interface ConsoleLogin {
  res: Reply;
  setCookie: string;
  cookie: string;
  csrfToken: string;
}

/** The harness of the console tests and the helpers that talk to its admin port. */
export interface ConsoleHarness {
  /** The sink and platform; read the fields inside tests (they are set once the hooks ran). */
  h: Harness;
  /** One request to the admin port, redirects not followed. */
  call: (method: string, path: string, options?: CallOptions) => Promise<Reply>;
  /** Logs in with the admin token, expecting a 200 and a `bm_session` cookie. */
  login: (headers?: Record<string, string>) => Promise<ConsoleLogin>;
  /** Names of every Pool, sorted, read with the admin token. */
  poolNames: () => Promise<string[]>;
  /** Ids of every Pool, read with the admin token. */
  poolIds: () => Promise<string[]>;
}

/** The `bm_session` Set-Cookie line of a response, if any. */
export function sessionSetCookie(headers: Headers): string | undefined {
  return headers.getSetCookie().find((c) => c.startsWith('bm_session='));
}

/** The cookie value of a `bm_session=...; attrs` line. */
export function cookieValue(setCookie: string): string {
  return setCookie.slice('bm_session='.length).split(';')[0]!;
}

/**
 * Registers `beforeAll` / `afterAll` hooks that write a console build to a temp directory and start
 * a harness whose platform serves it (`BRIDGEMAIL_CONSOLE_DIR`), and remove the directory after.
 * Call it inside a `describe`.
 */
export function useConsoleHarness(): ConsoleHarness {
  const env: Record<string, string> = {};
  let consoleDir = '';
  // Registered before useHarness so it runs before the harness's own beforeAll (hooks run in the
  // order they are registered): the platform must see BRIDGEMAIL_CONSOLE_DIR when it starts.
  beforeAll(async () => {
    consoleDir = await mkdtemp(join(tmpdir(), 'bridgemail-console-'));
    await writeFile(join(consoleDir, 'index.html'), INDEX_HTML);
    await mkdir(join(consoleDir, 'assets'));
    await writeFile(join(consoleDir, 'assets', 'x.js'), ASSET_JS);
    env.BRIDGEMAIL_CONSOLE_DIR = consoleDir;
  });
  afterAll(async () => {
    if (consoleDir) await rm(consoleDir, { recursive: true, force: true });
  });
  const h = useHarness(env);

  const call = async (method: string, path: string, options: CallOptions = {}): Promise<Reply> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.cookie !== undefined) headers.cookie = `bm_session=${options.cookie}`;
    if (options.csrf !== undefined) headers['x-csrf-token'] = options.csrf;
    if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`;
    let payload: string | undefined;
    if (options.body !== undefined) {
      payload = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${h.platform.urls.admin}${path}`, { method, headers, body: payload, redirect: 'manual' });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, headers: res.headers, text, body };
  };

  const login = async (headers: Record<string, string> = {}): Promise<ConsoleLogin> => {
    const res = await call('POST', '/console/api/login', { body: { token: h.platform.adminToken }, headers });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const setCookie = sessionSetCookie(res.headers);
    expect(setCookie, 'a bm_session cookie is set').toBeDefined();
    return { res, setCookie: setCookie!, cookie: cookieValue(setCookie!), csrfToken: res.body.csrfToken as string };
  };

  const poolNames = async () =>
    ((await h.platform.admin('GET', '/admin/v1/pools')).body.data as { name: string }[]).map((p) => p.name).sort();
  const poolIds = async () =>
    ((await h.platform.admin('GET', '/admin/v1/pools')).body.data as { id: string }[]).map((p) => p.id);

  return { h, call, login, poolNames, poolIds };
}
