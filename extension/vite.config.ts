// Builds the MV3 extension into extension/dist: pages (app, popup, offscreen), the engine worker,
// and the service worker as background.js (an ES module, as the manifest declares).
import { resolve } from 'node:path'
import { defineConfig } from 'vite'
import solid from 'vite-plugin-solid'

const here = import.meta.dirname

export default defineConfig({
  root: here,
  base: './',
  plugins: [solid()],
  logLevel: 'warn',
  publicDir: resolve(here, 'public'),
  build: {
    outDir: resolve(here, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: false, // the polyfill touches `document`, which the service worker lacks
    rollupOptions: {
      input: {
        app: resolve(here, 'app.html'),
        popup: resolve(here, 'popup.html'),
        offscreen: resolve(here, 'offscreen.html'),
        background: resolve(here, 'src/background/background.ts'),
      },
      output: {
        entryFileNames: (chunk) => (chunk.name === 'background' ? 'background.js' : 'assets/[name]-[hash].js'),
      },
    },
  },
  worker: { format: 'es' },
})
