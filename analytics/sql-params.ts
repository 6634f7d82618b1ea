import { maskQuery, SqlError } from './sql-screen.js';

/**
 * ClickHouse's query parameters over HTTP: each `{name:Type}` in the query's code (never in a string
 * literal or a comment) takes the value of the `param_name` URL parameter, written in ClickHouse's
 * escaped text format, as `@clickhouse/client` and the other clients send it. A value becomes a
 * quoted literal cast to its type (an `Identifier` a quoted name), so it can never be read as code;
 * the query is screened again after the substitution. A placeholder without its parameter is
 * ClickHouse's 456 UNKNOWN_QUERY_PARAMETER.
 */
export function substituteParams(sql: string, params: ReadonlyMap<string, string>): string {
  const { code, masked } = maskQuery(sql);
  let out = '';
  let from = 0;
  for (const found of masked.matchAll(PLACEHOLDER)) {
    const name = found[1]!;
    const typeStart = found.index + found[0].indexOf(':') + 1;
    const type = code.slice(typeStart, found.index + found[0].length - 1).trim();
    const value = params.get(name);
    if (value === undefined) {
      throw new SqlError(456, 'UNKNOWN_QUERY_PARAMETER', `Substitution \`${name}\` is not set`, 400);
    }
    out += code.slice(from, found.index) + literal(value, type);
    from = found.index + found[0].length;
  }
  return out + code.slice(from);
}

const PLACEHOLDER = /\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*:([^{}]+)\}/g;

/** The `param_*` URL parameters of a request, by name. */
export function queryParams(url: URL): Map<string, string> {
  const params = new Map<string, string>();
  for (const [key, value] of url.searchParams) {
    if (key.startsWith('param_')) params.set(key.slice('param_'.length), value);
  }
  return params;
}

function literal(value: string, type: string): string {
  const bare = type.replace(/\s+/g, '');
  if (bare === 'Identifier') {
    return value
      .split('.')
      .map((part) => '`' + part.replace(/[\\`]/g, (c) => '\\' + c) + '`')
      .join('.');
  }
  if (value === '\\N' && /^(Nullable|LowCardinality\(Nullable)\(/.test(bare)) return `CAST(NULL AS ${type})`;
  // A string-like value is read unescaped (as ClickHouse reads the escaped format); a composite one
  // (array, tuple, map, …) keeps its own quoting, which the cast parses.
  const text = /^(LowCardinality\()?(Nullable\()?(String|FixedString\(\d+\)|Enum(8|16)?\(|UUID|IPv[46])/.test(bare)
    ? unescape(value)
    : value;
  return `CAST(${quote(text)} AS ${type})`;
}

const ESCAPES: Record<string, string> = { b: '\b', f: '\f', r: '\r', n: '\n', t: '\t', 0: '\0', a: '\x07', v: '\v' };

/** ClickHouse's escaped text format: `\t`, `\n`, `\\`, `\'`, `\xHH` … become the characters they stand for. */
function unescape(value: string): string {
  return value.replace(/\\(x[0-9A-Fa-f]{2}|.)/gs, (_, c: string) =>
    c.length === 3 ? String.fromCharCode(parseInt(c.slice(1), 16)) : (ESCAPES[c] ?? c),
  );
}

function quote(text: string): string {
  return `'${text.replace(/[\\']/g, (c) => '\\' + c)}'`;
}
