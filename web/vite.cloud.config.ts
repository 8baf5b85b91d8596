// Pluto Cloud's web pages: a second single-page app of the same stack, built into
// dist-cloud/ and served by pluto-cloud (--web-dir). It shares the workbench's
// look and small pieces (ui.tsx, router.ts); nothing is fetched from outside.
import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

export default defineConfig({
  root: 'cloud', /* run from web/ (npm run build) */
  plugins: [preact()],
  build: {
    outDir: '../dist-cloud',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8500' },
  },
});
