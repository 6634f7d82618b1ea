// Nothing is imported up front: every module is loaded by the command that needs it, so
// `classify` never compiles the platform.
import type { Logger } from '../core/index.js';
import type { Role } from './platform.js';

/**
 * The `bridgemail` command. `usage` is the text of bin/usage.js, which answers `--help` and a bare
 * `bridgemail` itself; it comes in as an argument so cli/ imports nothing from bin/.
 */
export async function main(argv: string[], usage: string): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    (command === undefined ? process.stderr : process.stdout).write(`${usage}\n`);
    process.exitCode = command === undefined ? 2 : 0;
    return;
  }
  if (command === 'classify') {
    // No server, no engines: classify raw bounce / complaint messages from files.
    const { runClassify } = await import('./classify-command.js');
    process.exitCode = await runClassify(rest, process.stdout, process.stderr);
    return;
  }
  if (command !== 'start') {
    process.stderr.write(`unknown command "${command}"\n${usage}\n`);
    process.exitCode = 2;
    return;
  }
  await start(rest);
}

/** `bridgemail start`: config, console build, platform, then stop on SIGINT / SIGTERM. */
async function start(args: string[]): Promise<void> {
  const { ConfigError, createLogger, loadConfig, redactConfig } = await import('../core/index.js');
  const { ROLES, startPlatform } = await import('./platform.js');
  const { hostNameWarnings, listenFailureLine } = await import('./start-checks.js');
  const roles = parseRoles(args, ROLES);
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
  for (const { msg, variable, value } of hostNameWarnings(config)) logger.warn({ variable, value }, msg);
  if (config.consoleDir === undefined && (roles.includes('all') || roles.includes('admin'))) await buildConsole(logger);
  let platform;
  try {
    platform = await startPlatform(config, logger, {
      roles,
      onAdminTokenCreated: (token) =>
        process.stderr.write(`\nAdmin token (shown once; also in ${config.dataDir}/admin-token):\n  ${token}\n\n`),
    });
  } catch (err) {
    const line = listenFailureLine(err, config);
    if (line !== undefined) {
      process.stderr.write(`${line}\n`);
      process.exitCode = 2;
      return;
    }
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

/** Builds the default web console when missing; a failed build leaves the API up and the console at 503. */
async function buildConsole(logger: Logger): Promise<void> {
  const { defaultConsolePaths, ensureConsoleBuilt } = await import('./console-build.js');
  try {
    await ensureConsoleBuilt(defaultConsolePaths(), logger);
  } catch (err) {
    logger.error({ err }, 'web console build failed');
  }
}

/** The roles of `--role a,b` (default all), or the first unknown name. */
function parseRoles(args: string[], known: readonly Role[]): Role[] | string {
  const i = args.indexOf('--role');
  const names = (i === -1 ? 'all' : (args[i + 1] ?? '')).split(',').map((r) => r.trim());
  const unknown = names.find((r) => !(known as readonly string[]).includes(r));
  return unknown !== undefined ? unknown : (names as Role[]);
}
