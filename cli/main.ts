import { ConfigError, createLogger, loadConfig, redactConfig } from '../core/index.js';
import { ROLES, startPlatform, type Role } from './platform.js';

const USAGE = `Usage: bridgemail start [--role all|ingress|worker|analytics|admin[,...]]
       bridgemail classify FILE...

Starts Bridgemail with the configuration from the environment (see the README's table).
  start    run every role in the foreground: SMTP and REST ingress, delivery workers,
           analytics writer, admin API; embedded Redis, PGlite and chDB unless
           REDIS_URL, DATABASE_URL, CLICKHOUSE_URL are set.
  classify print one JSON line per file: the bounce/complaint classifier's answer
           ({ kind, recipient, hard, status, reason, … } plus "file"); needs no server.
  --role   the roles of this process, comma-separated (default all):
           ingress    REST and SMTP submission, tracking endpoints, inbound MX and reports
           worker     delivery and webhooks
           analytics  the one writer of events into ClickHouse
           admin      admin API, web console, bull-board
           Anything but "all" needs REDIS_URL and DATABASE_URL (ingress, analytics and admin
           also CLICKHOUSE_URL), the same BRIDGEMAIL_MASTER_KEY and a shared BRIDGEMAIL_SPOOL_DIR.
  Every process serves /healthz, /readyz and /metrics on BRIDGEMAIL_OPS_PORT.`;

/** The `bridgemail` command. */
export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (command === 'classify') {
    // No server, no engines: classify raw bounce / complaint messages from files.
    const { runClassify } = await import('./classify-command.js');
    process.exitCode = await runClassify(rest, process.stdout, process.stderr);
    return;
  }
  if (command !== 'start') {
    process.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const roles = parseRoles(rest);
  if (typeof roles === 'string') {
    process.stderr.write(`unknown role "${roles}"; roles are ${ROLES.join(', ')}\n`);
    process.exitCode = 2;
    return;
  }
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
  const logger = createLogger({ level: config.logLevel });
  logger.debug({ config: redactConfig(config) }, 'configuration');
  let platform;
  try {
    platform = await startPlatform(config, logger, {
      roles,
      onAdminTokenCreated: (token) =>
        process.stderr.write(`\nAdmin token (shown once; also in ${config.dataDir}/admin-token):\n  ${token}\n\n`),
    });
  } catch (err) {
    logger.fatal({ err }, 'start failed');
    process.exitCode = 1;
    return;
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    platform.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** The roles of `--role a,b` (default all), or the first unknown name. */
function parseRoles(args: string[]): Role[] | string {
  const i = args.indexOf('--role');
  const names = (i === -1 ? 'all' : (args[i + 1] ?? '')).split(',').map((r) => r.trim());
  const unknown = names.find((r) => !(ROLES as readonly string[]).includes(r));
  return unknown !== undefined ? unknown : (names as Role[]);
}
