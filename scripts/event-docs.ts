/**
 * `npm run docs:events`: writes the event tables and the timeline query of docs/analytics.md from the
 * event schema (core/event-schema.ts), between their marker comments.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { withEventDocs } from '../core/index.js';

const docPath = new URL('../docs/analytics.md', import.meta.url);
const doc = await readFile(docPath, 'utf8');
const updated = withEventDocs(doc);
if (updated === doc) {
  process.stdout.write('docs/analytics.md: the event tables are up to date\n');
} else {
  await writeFile(docPath, updated);
  process.stdout.write('docs/analytics.md: event tables written\n');
}
