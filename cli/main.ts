import { ConfigError, createLogger, loadConfig, redactConfig } from '../core/index.js';
import { startPlatform } from './platform.js';

const USAGE = `Usage: bridgemail start [--role all|worker]
       bridgemail classify FILE...

Starts Bridgemail with the configuration from the environment (see the README's table).
  start    run every role in the foreground: SMTP and REST ingress, delivery workers,
           analytics writer, admin API; embedded Redis, PGlite and chDB unless
           REDIS_URL, DATABASE_URL, CLICKHOUSE_URL are set.
  classify print one JSON line per file: the bounce/complaint classifier's answer
           ({ kind, recipient, hard, status, reason, … } plus "file"); needs no server.
  --role worker  only delivery workers, next to an "all" process: needs REDIS_URL,
           DATABASE_URL, the same BRIDGEMAIL_MASTER_KEY and a shared BRIDGEMAIL_SPOOL_DIR.`;

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
  const role = parseRole(rest);
  if (role !== 'all' && role !== 'worker') {
    process.stderr.write(`role "${role}" is not available yet; use --role all or --role worker\n`);
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
      role,
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

function parseRole(args: string[]): string {
  const i = args.indexOf('--role');
  if (i === -1) return 'all';
  return args[i + 1] ?? 'all';
}
