import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The web console: built into ./dist and served by the admin port at `/` (admin-api/console/static-console.ts).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 400 },
});
