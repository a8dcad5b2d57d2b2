import { resolve } from 'node:path';
import { defineConfig, externalizeDepsPlugin } from 'electron-vite';
import react from '@vitejs/plugin-react';
import type { Plugin } from 'vite';

/**
 * The dev server injects an inline React Refresh preamble and talks HMR over a WebSocket;
 * the CSP meta tag in index.html forbids both. Loosen it for `electron-vite dev` only:
 * built pages keep the strict policy.
 */
function relaxCspForDevServer(): Plugin {
  return {
    name: 'fleetmind:relax-csp-for-dev-server',
    apply: 'serve',
    transformIndexHtml: (html) =>
      html.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace("connect-src 'self'", "connect-src 'self' ws://localhost:* ws://127.0.0.1:*"),
  };
}

// One build for every face: the Electron shell and the headless CLI/server share the
// main bundle's core chunks, the renderer is served by Electron and by the HTTP server.
export default defineConfig({
  main: {
    // zod and commander are bundled: loaded from node_modules they are ~100 small ES modules
    // (zod with every locale) that Node resolves and compiles one by one, about 50 ms of
    // every CLI start (bench: cli). Packages that find files next to themselves (the
    // tree-sitter wasm, better-sqlite3's addon, pino's workers) stay external.
    plugins: [externalizeDepsPlugin({ exclude: ['zod', 'commander'] })],
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          electron: resolve('src/main/electron/main.ts'),
          cli: resolve('src/main/core/cli/main.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload can require only 'electron' and a few built-ins, so every
      // dependency it uses (zod, for validating channels) is bundled into it.
      externalizeDeps: { exclude: ['zod'] },
      rollupOptions: {
        input: { index: resolve('src/preload/index.ts') },
        // A sandboxed preload cannot be an ES module.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'src/renderer',
    plugins: [react(), relaxCspForDevServer()],
    build: {
      outDir: 'out/renderer',
      // electron-vite leaves the renderer unminified by default; the browser UI is served over HTTP too.
      minify: true,
      rollupOptions: { input: { index: resolve('src/renderer/index.html') } },
    },
  },
});
