import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The import direction of ../shared/STYLE.md §1, checked on every source file.
const ROOT = resolve(import.meta.dirname, '..');
const FOLDERS = ['core', 'ingress', 'workers', 'admin-api', 'analytics', 'cli'] as const;
const EDGE_LIBRARIES = ['koa', '@koa/router', 'smtp-server', 'nodemailer', 'cheerio'];

/** Which of our folders (and which entry files in them) each folder may import. */
const ALLOWED: Record<string, string[]> = {
  core: [],
  ingress: ['core/index.ts'],
  workers: ['core/index.ts'],
  analytics: ['core/index.ts'],
  'admin-api': ['core/index.ts', 'analytics/queries/index.ts'],
  cli: [
    'core/index.ts',
    'ingress/index.ts',
    'workers/index.ts',
    'workers/tracking/index.ts',
    'workers/signing/index.ts',
    'workers/bounces/index.ts',
    'workers/webhooks/index.ts',
    'analytics/index.ts',
    'admin-api/index.ts',
  ],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/g)].map(
    (m) => m[1] ?? '',
  );
  const dynamic = [...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? '');
  return [...specs, ...dynamic];
}

describe('architecture', () => {
  for (const folder of FOLDERS) {
    it(`${folder}/ imports only what STYLE.md allows`, () => {
      const problems: string[] = [];
      for (const file of sourceFiles(join(ROOT, folder))) {
        for (const spec of importsOf(file)) {
          const from = relative(ROOT, file);
          if (!spec.startsWith('.')) {
            if (folder === 'core' && EDGE_LIBRARIES.some((lib) => spec === lib || spec.startsWith(`${lib}/`))) {
              problems.push(`${from}: core imports edge library ${spec}`);
            }
            continue;
          }
          if (!spec.endsWith('.js')) problems.push(`${from}: relative import ${spec} must end in .js`);
          const target = relative(ROOT, resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
          const targetFolder = target.split('/')[0] ?? '';
          if (targetFolder === folder) continue;
          if (!(ALLOWED[folder] ?? []).includes(target)) problems.push(`${from}: may not import ${target}`);
        }
      }
      expect(problems).toEqual([]);
    });
  }
});
