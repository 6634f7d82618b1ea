/**
 * What of a query may reach chDB on the analysts' endpoint: one read statement, no function that
 * reaches files, URLs, other servers or the process. The engine's `readonly = 1` stands behind this.
 */

/** A refusal or failure as ClickHouse reports one: `Code: N. DB::Exception: message. (NAME)`. */
export class SqlError extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }

  /** The body ClickHouse's HTTP interface answers with. */
  body(): string {
    return `Code: ${this.code}. DB::Exception: ${this.message}. (${this.codeName})\n`;
  }
}

const STATEMENTS = new Set(['SELECT', 'WITH', 'SHOW', 'DESCRIBE', 'DESC', 'EXISTS', 'EXPLAIN']);

/**
 * Table functions (and functions) that reach files, URLs, other servers or the process: exact names,
 * and name families matched as prefixes (`s3Cluster`, `icebergS3`, `deltaLakeAzure` … and the ones
 * a later ClickHouse adds to a family). URL functions (`URLHierarchy` …) stay allowed: only `url` and
 * `urlCluster` are refused.
 */
const OUTSIDE_NAMES = [
  'url',
  'urlCluster',
  'jdbc',
  'odbc',
  'input',
  'dictionary',
  'merge',
  'loop',
  'cosn',
  'oss',
  'gcs',
  'hive',
];
const OUTSIDE_FAMILIES = [
  'file',
  's3',
  'remote',
  'cluster',
  'mysql',
  'postgresql',
  'hdfs',
  'executable',
  'azure',
  'iceberg',
  'deltaLake',
  'hudi',
  'paimon',
  'mongodb',
  'redis',
  'sqlite',
  'python',
  'arrowFlight',
  'ytsaurus',
  'prometheus',
  'fuzz',
];
const OUTSIDE = new RegExp(
  `\\b(${OUTSIDE_NAMES.join('|')}|(?:${OUTSIDE_FAMILIES.join('|')})[A-Za-z0-9_]*)\\s*\\(`,
  'i',
);

/**
 * The query with its comments blanked out (`code`) and, in `masked`, its string literals and quoted
 * identifiers blanked too, so that keywords, `;` and placeholders are only looked for in code. The
 * two strings have the same length, position for position. Throws a syntax error for an
 * unterminated literal or comment.
 */
export function maskQuery(sql: string): { code: string; masked: string } {
  let code = '';
  let masked = '';
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? n : end;
      code += ' ';
      masked += ' ';
    } else if (c === '#' && (next === ' ' || next === '!')) {
      // ClickHouse also reads `# ` and `#!` as line comments.
      const end = sql.indexOf('\n', i);
      i = end === -1 ? n : end;
      code += ' ';
      masked += ' ';
    } else if (c === '/' && next === '*') {
      // Nested block comments, as ClickHouse reads them.
      let depth = 1;
      let j = i + 2;
      while (j < n && depth > 0) {
        if (sql[j] === '/' && sql[j + 1] === '*') {
          depth++;
          j += 2;
        } else if (sql[j] === '*' && sql[j + 1] === '/') {
          depth--;
          j += 2;
        } else j++;
      }
      if (depth > 0) throw syntaxError('Unterminated comment');
      i = j;
      code += ' ';
      masked += ' ';
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      for (;;) {
        if (j >= n) throw syntaxError('Unterminated quoted string or identifier');
        if (sql[j] === '\\') j += 2;
        else if (sql[j] === c && sql[j + 1] === c) j += 2;
        else if (sql[j] === c) break;
        else j++;
      }
      code += sql.slice(i, j + 1);
      masked += c + ' '.repeat(j - i - 1) + c;
      i = j + 1;
    } else {
      code += c;
      masked += c;
      i++;
    }
  }
  return { code, masked };
}

/**
 * The one statement a query holds, without comments, if it may run here: a syntax error for a
 * second statement, READONLY for a statement that is not a read, ACCESS_DENIED for a function that
 * reaches outside (named plainly or quoted as an identifier) or `INTO OUTFILE`. `format` is the
 * statement's own `FORMAT` clause.
 */
export function screenQuery(sql: string): { sql: string; format: string | undefined } {
  const { code, masked } = maskQuery(sql);
  const semicolon = masked.indexOf(';');
  if (semicolon !== -1 && masked.slice(semicolon + 1).trim() !== '') {
    throw syntaxError('Multi-statements are not allowed');
  }
  const body = semicolon === -1 ? masked : masked.slice(0, semicolon);
  const first = /^[\s(]*([A-Za-z]+)/.exec(body)?.[1]?.toUpperCase();
  if (!first) throw syntaxError('Empty query');
  if (!STATEMENTS.has(first)) {
    throw new SqlError(164, 'READONLY', `${first} is not allowed: this endpoint is read-only`, 403);
  }
  const outside = OUTSIDE.exec(body)?.[1] ?? quotedOutside(code.slice(0, body.length), body);
  if (outside) {
    throw new SqlError(497, 'ACCESS_DENIED', `Function ${outside} is not allowed on this endpoint`, 403);
  }
  // chDB writes `SELECT … INTO OUTFILE` to the host's disk even at readonly = 1.
  if (/\bINTO\s+OUTFILE\b/i.test(body)) {
    throw new SqlError(497, 'ACCESS_DENIED', 'INTO OUTFILE is not allowed on this endpoint', 403);
  }
  const format = /\bFORMAT\s+([A-Za-z0-9_]+)\s*$/i.exec(body.trimEnd())?.[1];
  return { sql: (semicolon === -1 ? code : code.slice(0, semicolon)).trim(), format };
}

function syntaxError(message: string): SqlError {
  return new SqlError(62, 'SYNTAX_ERROR', `Syntax error: ${message}`, 400);
}

/**
 * A function reaching outside called by a quoted name (`` `file`(…) ``, `"s3"(…)`), which ClickHouse
 * also accepts: found in `masked` (so never inside a string literal), read from `code`.
 */
function quotedOutside(code: string, masked: string): string | undefined {
  for (const call of masked.matchAll(/([`"]) *\1\s*\(/g)) {
    const quoted = code.slice(call.index, call.index + call[0].indexOf(call[1]!, 1) + 1);
    const name = quoted.slice(1, -1).replace(/\\(.)/g, '$1');
    if (OUTSIDE.test(`${name}(`)) return name;
  }
  return undefined;
}
