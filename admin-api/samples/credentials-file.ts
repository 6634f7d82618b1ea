import { shellQuote } from './quote.js';
import { sendEndpoint } from './render-samples.js';
import type { SampleTarget } from './sample-types.js';

/** Formats the console offers the credentials file in. */
export type CredentialsFormat = 'env' | 'json' | 'txt';

/** A Bridge's connection details plus the Bridge it belongs to. */
export type CredentialsTarget = SampleTarget & { bridgeId: string; bridgeName: string };

/** A rendered credentials file, ready to be served as a download. */
export interface CredentialsFile {
  body: string;
  contentType: string;
  filename: string;
}

/** The longest slug of the Bridge name used in a file name. */
const SLUG_MAX = 60;

/** One line of the file: env key, human label, value. Order is the order in every format. */
function entries(t: CredentialsTarget): [key: string, label: string, value: string][] {
  return [
    ['BRIDGEMAIL_BRIDGE_ID', 'Bridge ID', t.bridgeId],
    ['BRIDGEMAIL_BRIDGE_NAME', 'Bridge name', t.bridgeName],
    ['BRIDGEMAIL_SMTP_HOST', 'SMTP host', t.smtpHost],
    ['BRIDGEMAIL_SMTP_PORT', 'SMTP port', String(t.smtpPort)],
    ['BRIDGEMAIL_SMTP_ENCRYPTION', 'SMTP encryption', 'STARTTLS'],
    ['BRIDGEMAIL_SMTPS_PORT', 'SMTPS port', String(t.smtpsPort)],
    ['BRIDGEMAIL_SMTPS_ENCRYPTION', 'SMTPS encryption', 'TLS'],
    ['BRIDGEMAIL_SMTP_USERNAME', 'SMTP username', t.username],
    ['BRIDGEMAIL_SMTP_PASSWORD', 'SMTP password', t.password],
    ['BRIDGEMAIL_API_KEY', 'API key', t.apiKey],
    ['BRIDGEMAIL_SEND_URL', 'Send endpoint', sendEndpoint(t.apiUrl)],
  ];
}

/**
 * The file-name stem of a Bridge: its name lowercased, accents dropped, every run of other
 * characters turned into `-`, trimmed and cut to 60 characters; the Bridge id when nothing is left.
 */
export function bridgeSlug(bridgeName: string, bridgeId: string): string {
  const slug = bridgeName
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, SLUG_MAX)
    .replace(/-+$/, '');
  // The id lands in a Content-Disposition header too, so it gets the same character set.
  return slug || bridgeId.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, SLUG_MAX) || 'bridge';
}

/** `KEY='value'` lines that `source` (bash, sh, zsh) reads back to the exact values. */
function renderEnv(t: CredentialsTarget): string {
  const lines = entries(t).map(([key, , value]) => `${key}=${shellQuote(value)}`);
  return ['# Bridgemail credentials. Keep this file secret.', ...lines, ''].join('\n');
}

function renderJson(t: CredentialsTarget): string {
  const doc = {
    bridge: { id: t.bridgeId, name: t.bridgeName },
    smtp: {
      host: t.smtpHost,
      username: t.username,
      password: t.password,
      starttls: { port: t.smtpPort, encryption: 'STARTTLS' },
      tls: { port: t.smtpsPort, encryption: 'TLS' },
    },
    api: { sendUrl: sendEndpoint(t.apiUrl), apiKey: t.apiKey },
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

function renderTxt(t: CredentialsTarget): string {
  const rows = entries(t);
  const width = Math.max(...rows.map(([, label]) => label.length)) + 2;
  const title = 'Bridgemail credentials (keep this file secret)';
  return [
    title,
    '='.repeat(title.length),
    '',
    ...rows.map(([, label, value]) => `${`${label}:`.padEnd(width)}${value}`),
    '',
  ].join('\n');
}

const FORMATS: Record<CredentialsFormat, { render: (t: CredentialsTarget) => string; contentType: string }> = {
  env: { render: renderEnv, contentType: 'text/plain; charset=utf-8' },
  json: { render: renderJson, contentType: 'application/json' },
  txt: { render: renderTxt, contentType: 'text/plain; charset=utf-8' },
};

/** Renders the downloadable credentials file of one Bridge: SMTP login, both ports, API key and send endpoint. */
export function renderCredentialsFile(target: CredentialsTarget, format: CredentialsFormat): CredentialsFile {
  const { render, contentType } = FORMATS[format];
  return {
    body: render(target),
    contentType,
    filename: `bridgemail-${bridgeSlug(target.bridgeName, target.bridgeId)}.${format}`,
  };
}
