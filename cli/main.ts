// Nothing is imported up front: every module is loaded by the command that needs it, so
// `classify` never compiles the platform.
import type { Config, Logger } from '../core/index.js';
import type { Platform } from './platform.js';

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
  const { parseRoles, ROLES } = await import('./roles/role.js');
  const roles = parseRoles(args);
  if (typeof roles === 'string') {
    process.stderr.write(`unknown role "${roles}"; roles are ${ROLES.join(', ')}\n`);
    process.exitCode = 2;
    return;
  }
  const config = await readConfig();
  if (config === undefined) return;
  const { createLogger, envSchema, redactConfig } = await import('../core/index.js');
  const { startPlatform } = await import('./platform.js');
  const { hostNameWarnings, listenFailureLine, unknownVariableWarnings } = await import('./start-checks.js');
  const logger = createLogger({ level: config.logLevel });
  logger.debug({ config: redactConfig(config) }, 'configuration');
  for (const { msg, variable, value } of hostNameWarnings(config)) logger.warn({ variable, value }, msg);
  for (const { msg, variable, meant } of unknownVariableWarnings(process.env, Object.keys(envSchema.shape)))
    logger.warn({ variable, meant }, msg);
  if (config.consoleDir === undefined && (roles.includes('all') || roles.includes('admin'))) await buildConsole(logger);
  let platform: Platform;
  try {
    platform = await startPlatform(config, logger, {
      roles,
      onAdminTokenCreated: (token) =>
        process.stderr.write(`\nAdmin token (shown once; also in ${config.dataDir}/admin-token):\n  ${token}\n\n`),
    });
  } catch (err) {
    const line = listenFailureLine(err, config);
    if (line !== undefined) process.stderr.write(`${line}\n`);
    else logger.fatal({ err }, 'start failed');
    process.exitCode = line !== undefined ? 2 : 1;
    return;
  }
  stopOnSignals(platform, logger);
}

/** The configuration from the environment; on a bad one, every bad key on stderr, exit code 2 and undefined. */
async function readConfig(): Promise<Config | undefined> {
  const { ConfigError, loadConfig } = await import('../core/index.js');
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 2;
    return undefined;
  }
}

/** Closes the platform (its roles in reverse order of start) on the first SIGINT or SIGTERM, then exits. */
function stopOnSignals(platform: Platform, logger: Logger): void {
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
