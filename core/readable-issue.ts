import type { z } from 'zod';

/** A raw issue as zod hands it to an error map (before its message is set). */
type RawIssue = z.core.$ZodRawIssue;

/** How an expected type is named: `a string`, `an integer`, `an object`. */
function describeType(expected: string): string {
  if (expected === 'int') return 'an integer';
  if (expected === 'null' || expected === 'undefined') return expected;
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

/** How a value is named in "got …": `a string`, `a number`, `null`, `an array`. */
function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN';
  return describeType(typeof value);
}

/** `expected a string or an array, got a number` when every branch of a union wants another type. */
function unionMessage(issue: Extract<RawIssue, { code: 'invalid_union' }>): string {
  if (issue.input === undefined) return 'required';
  const expected = issue.errors.map((branch) => {
    const [only] = branch;
    return branch.length === 1 && only?.code === 'invalid_type' && only.path.length === 0
      ? describeType(only.expected)
      : undefined;
  });
  const types = [...new Set(expected)];
  if (types.length > 0 && types.every((t) => t !== undefined))
    return `expected ${types.join(' or ')}, got ${describeValue(issue.input)}`;
  return 'matches none of the accepted forms';
}

const FORMATS: Record<string, string> = {
  email: 'an email address',
  url: 'a URL',
  uuid: 'a UUID',
  guid: 'a UUID',
  datetime: 'an ISO 8601 date-time',
  date: 'an ISO 8601 date',
  time: 'an ISO 8601 time',
  ipv4: 'an IPv4 address',
  ipv6: 'an IPv6 address',
  cidrv4: 'an IPv4 range',
  cidrv6: 'an IPv6 range',
  base64: 'base64',
  base64url: 'base64url',
  hostname: 'a host name',
};

function unitOf(origin: string, count: number | bigint): string {
  const plural = count === 1 || count === 1n ? '' : 's';
  if (origin === 'string') return ` character${plural}`;
  if (origin === 'array' || origin === 'set') return ` item${plural}`;
  if (origin === 'file') return ` byte${plural}`;
  return '';
}

function sizeMessage(issue: Extract<RawIssue, { code: 'too_big' | 'too_small' }>): string {
  const big = issue.code === 'too_big';
  const bound = big ? issue.maximum : issue.minimum;
  const unit = unitOf(issue.origin, bound);
  if (!big && (issue.origin === 'string' || issue.origin === 'array') && bound === 1 && issue.exact !== true)
    return 'must not be empty';
  if (issue.origin === 'date')
    return `must be ${big ? 'no later' : 'no earlier'} than ${new Date(Number(bound)).toISOString()}`;
  if (issue.exact === true) return `must be exactly ${bound}${unit}`;
  if (issue.inclusive === false) return `must be ${big ? 'less' : 'greater'} than ${bound}${unit}`;
  return `must be at ${big ? 'most' : 'least'} ${bound}${unit}`;
}

/**
 * Zod error map giving short messages a person can read (`required`, `expected a string, got a
 * number`, `must be at most 998 characters`, `unknown field`). Messages a schema sets itself keep
 * precedence over it; returning undefined falls back to zod's own text.
 */
export function readableIssue(issue: RawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined || issue.expected === 'nonoptional') return 'required';
      return `expected ${describeType(issue.expected)}, got ${describeValue(issue.input)}`;
    case 'too_big':
    case 'too_small':
      return sizeMessage(issue);
    case 'invalid_format':
      if (issue.format === 'regex') return 'has an invalid format';
      if (issue.format === 'starts_with' && 'prefix' in issue) return `must start with "${String(issue.prefix)}"`;
      if (issue.format === 'ends_with' && 'suffix' in issue) return `must end with "${String(issue.suffix)}"`;
      if (issue.format === 'includes' && 'includes' in issue) return `must include "${String(issue.includes)}"`;
      return `not ${FORMATS[issue.format] ?? `a valid ${issue.format}`}`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    case 'unrecognized_keys':
      return issue.keys.length === 1 ? 'unknown field' : `unknown fields: ${issue.keys.join(', ')}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])}`
        : `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_union':
      return unionMessage(issue);
    case 'invalid_key':
      return 'has an invalid key';
    case 'invalid_element':
      return 'has an invalid element';
    default:
      return issue.input === undefined ? 'required' : 'invalid value';
  }
}
