import { envSchema } from './config-schema.js';

/** The marker comments around the configuration table in README.md. */
export const CONFIG_TABLE_MARKERS = { start: '<!-- config-table:start -->', end: '<!-- config-table:end -->' } as const;

/** The README's configuration table (`| Variable | Default | Meaning |`), one row per variable of `envSchema`. */
export function renderConfigTable(): string {
  const rows = Object.entries(envSchema.shape).map(([variable, schema]) => {
    const meta = schema.meta() ?? {};
    if (!meta.description) throw new Error(`${variable} has no description in envSchema`);
    const base = meta.defaultText ?? defaultText(variable, schema.safeParse(undefined));
    const shown = meta.defaultNote ? `${base} (${meta.defaultNote})` : base;
    return `| \`${variable}\` | ${cell(shown)} | ${cell(meta.description)} |`;
  });
  return ['| Variable | Default | Meaning |', '|---|---|---|', ...rows].join('\n');
}

/** The text between the README's table markers; throws when they are missing. */
export function readConfigTable(readme: string): string {
  const { before, after } = splitAtTable(readme);
  return readme.slice(before.length, readme.length - after.length);
}

/** The README with the text between its table markers replaced by {@link renderConfigTable}. */
export function withConfigTable(readme: string): string {
  const { before, after } = splitAtTable(readme);
  return `${before}${renderConfigTable()}${after}`;
}

function splitAtTable(readme: string): { before: string; after: string } {
  const start = readme.indexOf(CONFIG_TABLE_MARKERS.start);
  const end = readme.indexOf(CONFIG_TABLE_MARKERS.end);
  if (start < 0 || end < start) {
    throw new Error(`README.md lacks ${CONFIG_TABLE_MARKERS.start} … ${CONFIG_TABLE_MARKERS.end}`);
  }
  // The markers stand on lines of their own; the table goes between them.
  return { before: `${readme.slice(0, start + CONFIG_TABLE_MARKERS.start.length)}\n`, after: `\n${readme.slice(end)}` };
}

/** A default the schema fills in, as the table shows it: unset, or the value in code style. */
function defaultText(variable: string, parsed: { success: boolean; data?: unknown }): string {
  if (parsed.success && parsed.data === undefined) return 'unset';
  if (parsed.success && (typeof parsed.data === 'string' || typeof parsed.data === 'number'))
    return `\`${parsed.data}\``;
  throw new Error(`${variable}: its default is computed or structured; give it a defaultText in envSchema`);
}

/** A table cell: a `|` would end it. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|');
}
