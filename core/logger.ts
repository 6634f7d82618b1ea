import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Paths never written to logs, whatever a caller passes. */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'apiKey',
  '*.apiKey',
  'token',
  '*.token',
  'adminToken',
  'masterKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'dkimPrivateKey',
  'secret',
  '*.secret',
  '*.dkimPrivateKey',
];

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** @defaultValue 'info' */
  level?: string;
  /** Where lines go. @defaultValue standard output */
  destination?: NodeJS.WritableStream;
}

/** Creates the one root logger of a process; components take `logger.child({ component })`. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const opts = {
    level: options.level ?? 'info',
    base: { pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  return options.destination ? pino(opts, options.destination as pino.DestinationStream) : pino(opts);
}

/** Writes already formatted JSON lines (from another thread's logger) to where `logger` writes. */
export function writeLogLines(logger: Logger, lines: string): void {
  const stream = (logger as unknown as Record<symbol, { write(s: string): unknown } | undefined>)[
    pino.symbols.streamSym
  ];
  stream?.write(lines);
}
