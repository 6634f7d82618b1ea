import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

/** One axe-core finding, trimmed to what a failure message needs. */
export interface AxeFinding {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

let source: string | undefined;

/**
 * Runs axe-core (every rule it ships) on the page as it is now and returns the serious and critical
 * findings. axe is evaluated through the DevTools protocol, so the console's CSP (no inline script)
 * stays on.
 */
export async function seriousViolations(page: Page): Promise<AxeFinding[]> {
  source ??= await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  if (!(await page.evaluate<boolean>('typeof window.axe !== "undefined"'))) await page.evaluate(source);
  const result = await page.evaluate<{
    passes: unknown[];
    violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[];
  }>('window.axe.run(document, { resultTypes: ["violations"] })');
  // No rule passing means axe checked nothing (an empty page, or axe not run): not a clean bill.
  if (result.passes.length === 0) throw new Error(`axe-core checked nothing on ${page.url()}`);
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
}
