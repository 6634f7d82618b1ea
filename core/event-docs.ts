import { carries, DERIVED_EVENT_COLUMNS, EVENT_COLUMN_LIST, EVENT_MEANINGS, EVENT_TYPES } from './event-schema.js';

/**
 * The generated parts of docs/analytics.md, each between `<!-- <name>:start -->` and
 * `<!-- <name>:end -->` on lines of their own, and how each is written from the event schema.
 */
const SECTIONS: Readonly<Record<string, () => string>> = {
  'event-kinds': renderEventKinds,
  'event-columns': renderEventColumns,
  'timeline-query': renderTimelineQuery,
};

/** The kinds of event in lifecycle order: meaning and the fields each carries besides the common ones. */
export function renderEventKinds(): string {
  const rows = EVENT_TYPES.map((kind) => {
    const own = EVENT_COLUMN_LIST.filter((c) => c.kinds !== 'all' && carries(c, kind)).map((c) => `\`${c.field}\``);
    return `| \`${kind}\` | ${cell(EVENT_MEANINGS[kind])} | ${own.join(', ') || '—'} |`;
  });
  return ['| Kind | Meaning | Fields besides the common ones |', '|---|---|---|', ...rows].join('\n');
}

/** The columns of `events`: ClickHouse type, field, which kinds carry it, meaning. */
export function renderEventColumns(): string {
  const rows = EVENT_COLUMN_LIST.map((c) => {
    const kinds = c.kinds === 'all' ? 'every kind' : c.kinds.map((k) => `\`${k}\``).join(', ');
    return `| \`${c.column}\` | ${c.type} | \`${c.field}\` | ${kinds} | ${cell(c.meaning)} |`;
  });
  const derived = Object.entries(DERIVED_EVENT_COLUMNS).map(
    ([column, c]) => `| \`${column}\` | ${c.type} | (computed) | every kind | ${cell(c.meaning)} |`,
  );
  return ['| Column | Type | Event field | Carried by | Meaning |', '|---|---|---|---|---|', ...rows, ...derived].join(
    '\n',
  );
}

/** The timeline query of the docs, its ORDER BY ranking the kinds in lifecycle order. */
export function renderTimelineQuery(): string {
  return [
    '```sql',
    'SELECT ts, type, recipient, ip, mx, reply_code, reply, reason, attempt, hard, status',
    'FROM bridgemail.events',
    "WHERE message_id = 'msg_1'",
    `ORDER BY ts, indexOf([${EVENT_TYPES.map((t) => `'${t}'`).join(', ')}], type), event_id`,
    'LIMIT 1 BY event_id',
    '```',
  ].join('\n');
}

/** The document with every generated section rewritten; throws when a section's markers are missing. */
export function withEventDocs(doc: string): string {
  let out = doc;
  for (const [name, render] of Object.entries(SECTIONS)) {
    const start = `<!-- ${name}:start -->`;
    const end = `<!-- ${name}:end -->`;
    const from = out.indexOf(start);
    const to = out.indexOf(end);
    if (from < 0 || to < from) throw new Error(`docs/analytics.md lacks ${start} … ${end}`);
    out = `${out.slice(0, from + start.length)}\n${render()}\n${out.slice(to)}`;
  }
  return out;
}

/** A table cell: a `|` would end it. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|');
}
