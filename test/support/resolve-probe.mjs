// Preload for `node --import`: reports every module URL the process resolves, one
// `RESOLVED <url>` line on stderr, so a test can check what a command path loads.
import { writeSync } from 'node:fs';
import { register } from 'node:module';

// The same file serves as the hooks module (loaded again, with `?hooks`, on the hooks thread).
if (!import.meta.url.endsWith('?hooks')) register(`${import.meta.url}?hooks`);

/** Node's resolve hook: passes through, reporting the resolved URL. */
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  writeSync(2, `RESOLVED ${resolved.url}\n`);
  return resolved;
}
