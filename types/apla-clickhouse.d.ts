// Minimal declarations of the parts of @apla/clickhouse (an HTTP ClickHouse client) the SQL endpoint's tests use.
declare module '@apla/clickhouse' {
  interface Options {
    host: string;
    port?: number;
    user?: string;
    password?: string;
    /** Rows as objects (FORMAT JSON) instead of arrays (JSONCompact). */
    dataObjects?: boolean;
    /** Sends queries with GET. */
    readonly?: boolean;
    queryOptions?: Record<string, string | number>;
  }
  interface Result {
    meta: { name: string; type: string }[];
    data: unknown[];
    rows: number;
  }
  class ClickHouse {
    constructor(options: Options);
    querying(query: string, options?: Partial<Options>): Promise<Result>;
  }
  export = ClickHouse;
}
