/**
 * `npm run docs:config`: writes the README's configuration table from `envSchema`
 * (core/config-schema.ts), between the `config-table` marker comments.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { withConfigTable } from '../core/index.js';

const readmePath = new URL('../README.md', import.meta.url);
const readme = await readFile(readmePath, 'utf8');
const updated = withConfigTable(readme);
if (updated === readme) {
  process.stdout.write('README.md: the configuration table is up to date\n');
} else {
  await writeFile(readmePath, updated);
  process.stdout.write('README.md: configuration table written\n');
}
