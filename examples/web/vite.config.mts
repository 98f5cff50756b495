import { defineConfig } from 'vite';

/** `npm run build:web` (vite build examples/web) writes dist/, which the server serves at /demo (src/http/demoRoute.ts). */
export default defineConfig({
  base: '/demo/',
  publicDir: false,
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
});
