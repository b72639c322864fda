// The UI benchmark / screenshot page (fake engine) into packages/ui/dist-bench. Never shipped.
import { resolve } from 'node:path'
import { defineConfig } from 'vite'
import solid from 'vite-plugin-solid'

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [solid()],
  logLevel: 'warn',
  build: {
    outDir: 'dist-bench',
    emptyOutDir: true,
    target: 'es2022',
    minify: false,
    rollupOptions: { input: resolve(import.meta.dirname, 'bench.html') },
  },
})
