import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Session } from 'chdb';
import type { Logger } from '../core/index.js';
import {
  authFailed,
  contentType,
  fromEngine,
  presentedCredentials,
  readBody,
  responseEncoding,
  sendResult,
} from './sql-http.js';
import { queryParams, substituteParams } from './sql-params.js';
import { screenQuery, SqlError } from './sql-screen.js';

/** Limits every analyst query runs under: the analyst session's own settings, set before `readonly=1`. */
export interface SqlLimits {
  maxExecutionSeconds: number;
  maxRowsToRead: number;
  maxResultRows: number;
  maxResultBytes: number;
}

/** Options of {@link startSqlEndpoint}. */
export interface SqlEndpointOptions {
  /** The chDB data directory the analytics writer owns; the endpoint opens a session of its own on it. */
  chdbPath: string;
  /** The database a query runs in unless its `database` parameter names another. */
  database: string;
  host: string;
  port: number;
  /**
   * Checks an analyst's user name and secret from `address`: `limited` once its failures are over
   * the limits of the admin plane.
   */
  authenticate: (user: string, password: string, address: string) => Promise<'ok' | 'failed' | 'limited'>;
  limits: SqlLimits;
  logger: Logger;
  /** Queries waiting for the one running; beyond, 503. @defaultValue 8 */
  maxWaiting?: number;
  /** Told of each query once answered: `ok` or the ClickHouse error name, and how long it took. */
  onQuery?: (outcome: string, seconds: number) => void;
}

/** The running endpoint. */
export interface SqlEndpoint {
  port: number;
  close(): Promise<void>;
}

/**
 * A read-only subset of ClickHouse's HTTP interface over the embedded chDB data directory, for
 * analysts' tools (`@clickhouse/client`, `curl`, Grafana, Metabase). Queries are screened (one
 * statement; SELECT, WITH, SHOW, DESCRIBE, EXISTS or EXPLAIN; no function reaching outside) and
 * run in a chDB session of their own whose limits are set and then locked by `readonly=1`, one at
 * a time so analysts never take more than one core from ingestion and the stats API.
 */
export async function startSqlEndpoint(options: SqlEndpointOptions): Promise<SqlEndpoint> {
  const { limits, logger } = options;
  const session = new Session(options.chdbPath);
  let timezone = 'UTC';
  try {
    await session.queryAsync(
      [
        // One thread: with one query at a time, analysts never take more than one core.
        'SET max_threads = 1',
        `SET max_execution_time = ${limits.maxExecutionSeconds}`,
        `SET max_rows_to_read = ${limits.maxRowsToRead}`,
        `SET read_overflow_mode = 'throw'`,
        `SET max_result_rows = ${limits.maxResultRows}`,
        `SET max_result_bytes = ${limits.maxResultBytes}`,
        `SET result_overflow_mode = 'throw'`,
        `SET readonly = 1`,
      ].join('; '),
    );
    // Clients read DateTime values in the server's time zone, which this header names.
    timezone = Buffer.from((await session.queryAsync('SELECT timezone()', { format: 'TSVRaw' })).bytes())
      .toString('utf8')
      .trim();
  } catch (err) {
    session.close();
    throw err;
  }
  const maxWaiting = options.maxWaiting ?? 8;
  let running: Promise<unknown> = Promise.resolve();
  let waiting = 0;

  const run = async (sql: string, database: string, format: string) => {
    if (waiting >= maxWaiting) {
      throw new SqlError(
        202,
        'TOO_MANY_SIMULTANEOUS_QUERIES',
        'Too many simultaneous queries: analyst queries run one at a time, try again shortly',
        503,
      );
    }
    waiting++;
    const turn = running.then(async () => {
      waiting--;
      await session.queryAsync(`USE \`${database}\``);
      return session.queryAsync(sql, { format });
    });
    running = turn.catch(() => undefined);
    return turn;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const queryId = url.searchParams.get('query_id') ?? randomUUID();
    res.setHeader('X-ClickHouse-Server-Display-Name', 'bridgemail');
    res.setHeader('X-ClickHouse-Query-Id', queryId);
    if (url.pathname === '/ping' || (url.pathname === '/' && req.method === 'GET' && !url.searchParams.has('query'))) {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=UTF-8' }).end('Ok.\n');
      return;
    }
    const started = performance.now();
    const answered = (outcome: string) => options.onQuery?.(outcome, (performance.now() - started) / 1000);
    try {
      if (url.pathname !== '/') throw new SqlError(1001, 'STD_EXCEPTION', `There is no handle ${url.pathname}`, 404);
      if (req.method !== 'GET' && req.method !== 'POST') {
        throw new SqlError(1001, 'STD_EXCEPTION', `Method ${req.method} is not allowed`, 405);
      }
      const credentials = presentedCredentials(req, url);
      if (!credentials) throw authFailed();
      const verdict = await options.authenticate(
        credentials.user,
        credentials.password,
        req.socket.remoteAddress ?? '',
      );
      if (verdict === 'limited') {
        throw new SqlError(516, 'AUTHENTICATION_FAILED', 'Too many failed authentications: try again later', 429);
      }
      if (verdict !== 'ok') throw authFailed();
      const body = req.method === 'POST' ? await readBody(req, url) : '';
      const text = [url.searchParams.get('query') ?? '', body].filter((part) => part.trim() !== '').join('\n');
      const screened = screenQuery(substituteParams(text, queryParams(url)));
      const database = url.searchParams.get('database') ?? options.database;
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) {
        throw new SqlError(81, 'UNKNOWN_DATABASE', `Database ${database} does not exist`, 404);
      }
      const format = screened.format ?? url.searchParams.get('default_format') ?? 'TabSeparated';
      const result = await run(screened.sql, database, format).catch((err: unknown) => {
        throw err instanceof SqlError ? err : fromEngine(err);
      });
      const bytes = Buffer.from(result.bytes());
      // chDB reports rows read, not the rows of the result: `result_rows` is left out (older ClickHouse omits it too).
      const summary = {
        read_rows: String(result.rowsRead),
        read_bytes: String(result.bytesRead),
        written_rows: '0',
        written_bytes: '0',
        total_rows_to_read: '0',
        result_bytes: String(bytes.length),
        elapsed_ns: String(Math.round(result.elapsed * 1e9)),
      };
      const headers = {
        'Content-Type': contentType(format),
        'X-ClickHouse-Format': format,
        'X-ClickHouse-Timezone': timezone,
        'X-ClickHouse-Summary': JSON.stringify(summary),
      };
      await sendResult(res, url, bytes, headers, responseEncoding(req, url));
      answered('ok');
    } catch (err) {
      const error = err instanceof SqlError ? err : fromEngine(err);
      logger.info({ code: error.code, name: error.codeName }, 'sql endpoint query refused');
      answered(error.codeName);
      res.writeHead(error.status, {
        'Content-Type': 'text/plain; charset=UTF-8',
        'X-ClickHouse-Exception-Code': String(error.code),
      });
      res.end(error.body());
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => {
      session.close();
      reject(err);
    });
    server.listen(options.port, options.host, () => resolve());
  });
  logger.info({ port: (server.address() as AddressInfo).port }, 'sql endpoint listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeIdleConnections();
      });
      await running;
      session.close();
    },
  };
}
