import { describe, expect, it } from 'vitest';
import { queryParams, substituteParams } from './sql-params.js';
import { screenQuery } from './sql-screen.js';

const params = (entries: Record<string, string>) => new Map(Object.entries(entries));

describe('query parameters of the SQL endpoint', () => {
  it('turns each placeholder into a quoted literal cast to its type', () => {
    expect(substituteParams('SELECT {a:UInt8}, {b: Array(String) }', params({ a: '1', b: "['x']" }))).toBe(
      "SELECT CAST('1' AS UInt8), CAST('[\\'x\\']' AS Array(String))",
    );
  });

  it('reads string values in the escaped format and quotes them again', () => {
    const sql = substituteParams('SELECT {s:String}', params({ s: "a\\tb\\\\c\\'d" }));
    expect(sql).toBe("SELECT CAST('a\tb\\\\c\\'d' AS String)");
  });

  it('binds \\N as NULL for a Nullable type only', () => {
    expect(substituteParams('SELECT {n:Nullable(UInt8)}', params({ n: '\\N' }))).toBe(
      'SELECT CAST(NULL AS Nullable(UInt8))',
    );
    expect(substituteParams('SELECT {n:String}', params({ n: '\\N' }))).toBe("SELECT CAST('N' AS String)");
  });

  it('quotes an Identifier part by part', () => {
    expect(substituteParams('SELECT * FROM {t:Identifier}', params({ t: 'db.ta`ble' }))).toBe(
      'SELECT * FROM `db`.`ta\\`ble`',
    );
  });

  it('leaves placeholders in literals and comments, and a value can never close its literal', () => {
    expect(substituteParams("SELECT '{a:UInt8}' -- {a:UInt8}\n", params({}))).toBe("SELECT '{a:UInt8}'  \n");
    const sql = substituteParams('SELECT {a:String}', params({ a: "x'); DROP TABLE t; --" }));
    expect(screenQuery(sql).sql).toBe("SELECT CAST('x\\'); DROP TABLE t; --' AS String)");
  });

  it('refuses a placeholder without its parameter with 456', () => {
    expect(() => substituteParams('SELECT {a:UInt8}', params({}))).toThrow(
      expect.objectContaining({ code: 456, codeName: 'UNKNOWN_QUERY_PARAMETER' }),
    );
  });

  it('reads the param_ URL parameters only', () => {
    const url = new URL('http://x/?param_a=1&param_b=%27q%27&query=SELECT&default_format=TSV');
    expect([...queryParams(url)]).toEqual([
      ['a', '1'],
      ['b', "'q'"],
    ]);
  });
});
