// The npm registry reachable here serves only @chdb/lib-linux-x64-gnu, so `npm install` writes a
// lock without chdb's other optional platform libraries and `npm ci` then refuses the lock.
// Run this after any `npm install` to record them (os/cpu-gated: never fetched on linux-x64).
import { readFileSync, writeFileSync } from 'node:fs';

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const chdb = lock.packages['node_modules/chdb'];
const platforms = {
  'lib-darwin-arm64': { os: ['darwin'], cpu: ['arm64'] },
  'lib-darwin-x64': { os: ['darwin'], cpu: ['x64'] },
  'lib-linux-arm64-gnu': { os: ['linux'], cpu: ['arm64'], libc: ['glibc'] },
  'lib-linux-x64-gnu': { os: ['linux'], cpu: ['x64'], libc: ['glibc'] },
};
for (const [name, gate] of Object.entries(platforms)) {
  const key = `node_modules/@chdb/${name}`;
  const version = chdb?.optionalDependencies?.[`@chdb/${name}`];
  if (!version || lock.packages[key]) continue;
  lock.packages[key] = { version, ...gate, license: 'Apache-2.0', optional: true };
}
const sorted = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)),
);
writeFileSync('package-lock.json', `${JSON.stringify({ ...lock, packages: sorted }, null, 2)}\n`);
