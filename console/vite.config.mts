import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The build is served under the API's stage (…/v1/console/index.html): relative asset paths.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, modulePreload: { polyfill: false } },
});
