import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/index.js';
import { sqlEndpointPlan } from './start-analytics.js';

const env = (extra: Record<string, string>) => ({ BRIDGEMAIL_DATA_DIR: '/tmp/bridgemail-plan', ...extra });

describe('the analysts’ SQL endpoint plan', () => {
  it('is off unless BRIDGEMAIL_SQL_PORT is set', () => {
    expect(sqlEndpointPlan(loadConfig(env({})), '/data/chdb')).toEqual({ off: 'unset' });
  });

  it('serves the embedded chDB data dir on the configured port', () => {
    expect(sqlEndpointPlan(loadConfig(env({ BRIDGEMAIL_SQL_PORT: '8123' })), '/data/chdb')).toEqual({
      port: 8123,
      chdbPath: '/data/chdb',
    });
  });

  it('stays off with a ClickHouse server: analysts query the server', () => {
    const config = loadConfig(env({ BRIDGEMAIL_SQL_PORT: '8123', CLICKHOUSE_URL: 'http://127.0.0.1:8124' }));
    expect(sqlEndpointPlan(config, undefined)).toEqual({ off: 'server' });
  });
});
