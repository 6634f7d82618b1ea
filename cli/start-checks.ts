import type { Config } from '../core/index.js';

/** The environment variable that sets each listener's port, in the order listeners start. */
const PORT_VARIABLES: readonly (readonly [keyof Config['ports'], string])[] = [
  ['api', 'BRIDGEMAIL_API_PORT'],
  ['smtp', 'BRIDGEMAIL_SMTP_PORT'],
  ['smtps', 'BRIDGEMAIL_SMTPS_PORT'],
  ['mx', 'BRIDGEMAIL_MX_PORT'],
  ['admin', 'BRIDGEMAIL_ADMIN_PORT'],
  ['ops', 'BRIDGEMAIL_OPS_PORT'],
];

/**
 * One line for a listener that could not bind (port taken, or privileged without the right to
 * it), naming the variable to change; undefined for any other start failure.
 */
export function listenFailureLine(err: unknown, config: Pick<Config, 'ports' | 'host'>): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const { code, port } = err as NodeJS.ErrnoException & { port?: unknown };
  if ((code !== 'EADDRINUSE' && code !== 'EACCES') || typeof port !== 'number') return undefined;
  const variable = PORT_VARIABLES.find(([key]) => config.ports[key] === port)?.[1];
  if (variable === undefined) return undefined;
  const where = `${config.host}:${port}`;
  return code === 'EADDRINUSE'
    ? `port ${where} is already in use: set ${variable} to a free port`
    : `port ${where} needs privileges this process lacks: set ${variable} to a port above 1023 (or grant CAP_NET_BIND_SERVICE)`;
}

/** Whether `name` is a fully qualified domain name: at least two labels (a trailing dot is allowed). */
export function isFullyQualified(name: string): boolean {
  const labels = name.replace(/\.$/, '').split('.');
  return labels.length >= 2 && labels.every((l) => l.length > 0);
}

/** A start-time warning: constant text plus the data it is about. */
export interface StartWarning {
  msg: string;
  variable: string;
  value: string;
}

/**
 * Warnings about names that default to this host's short name: receivers refuse a HELO that is
 * not fully qualified, and bounces to an address at a bare host name never come back.
 */
export function hostNameWarnings(config: Pick<Config, 'heloName' | 'verp'>): StartWarning[] {
  const warnings: StartWarning[] = [];
  if (!isFullyQualified(config.heloName)) {
    warnings.push({
      msg: "HELO name is not fully qualified: set BRIDGEMAIL_HELO_NAME to this host's public DNS name (receivers refuse a bare host name)",
      variable: 'BRIDGEMAIL_HELO_NAME',
      value: config.heloName,
    });
  }
  if (!isFullyQualified(config.verp.domain)) {
    warnings.push({
      msg: 'bounce domain is not fully qualified: set BRIDGEMAIL_BOUNCE_DOMAIN to a domain whose MX points here (bounces cannot reach a bare host name)',
      variable: 'BRIDGEMAIL_BOUNCE_DOMAIN',
      value: config.verp.domain,
    });
  }
  return warnings;
}
