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

/** Names a Bridge's credentials file sets for the app that sends: expected in a shell, never read here. */
const APP_VARIABLES = new Set([
  'BRIDGEMAIL_BRIDGE_ID',
  'BRIDGEMAIL_BRIDGE_NAME',
  'BRIDGEMAIL_SMTP_HOST',
  'BRIDGEMAIL_SMTP_ENCRYPTION',
  'BRIDGEMAIL_SMTPS_ENCRYPTION',
  'BRIDGEMAIL_SMTP_USERNAME',
  'BRIDGEMAIL_SMTP_PASSWORD',
  'BRIDGEMAIL_API_KEY',
  'BRIDGEMAIL_SEND_URL',
]);

/** A variable that looks like a setting and is none; its value is never repeated (it may be a secret). */
export interface UnknownVariable {
  msg: string;
  variable: string;
  meant?: string;
}

/**
 * A warning for each `BRIDGEMAIL_*` variable that is no setting (a typo otherwise goes unnoticed
 * and its default applies), with the setting it most likely meant when one is close.
 */
export function unknownVariableWarnings(
  env: Record<string, string | undefined>,
  settings: readonly string[],
): UnknownVariable[] {
  return Object.keys(env)
    .filter((name) => name.startsWith('BRIDGEMAIL_') && !settings.includes(name) && !APP_VARIABLES.has(name))
    .sort()
    .map((name) => {
      const meant = closest(name, settings);
      const hint = meant ? `: did you mean ${meant}?` : ' (the settings are listed in the README)';
      return { msg: `${name} is not a Bridgemail setting and has no effect${hint}`, variable: name, meant };
    });
}

/**
 * The setting `name` most likely meant: the only one a single typo away (a letter missing, extra,
 * wrong or two swapped), else the only one that is `name` plus a unit (`…_TIMEOUT` → `…_TIMEOUT_MS`).
 */
function closest(name: string, settings: readonly string[]): string | undefined {
  const near = settings.filter((s) => typoDistance(name, s) <= 1);
  const longer = settings.filter((s) => s.startsWith(`${name}_`));
  return near.length === 1 ? near[0] : near.length === 0 && longer.length === 1 ? longer[0] : undefined;
}

/** Edits between two strings, a swap of adjacent letters counting as one (optimal string alignment). */
function typoDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}
