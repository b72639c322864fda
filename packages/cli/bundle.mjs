// The CLI runs from a bundle of its TypeScript sources (dist/), built with esbuild on first use and
// again whenever a file it was built from has changed. Running the sources through tsx instead cost
// ~0.8 s of CPU and ~50 MiB at every start (the transform plus tsx's loader thread); the bundle starts
// in ~0.2 s. Plain JS: it must run before anything is compiled.
import { mkdirSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = resolve(HERE, '..', '..')
export const DIST = join(HERE, 'dist')
const ENTRIES = { main: join(HERE, 'src', 'main.ts'), 'daemon-worker': join(HERE, 'src', 'daemon-worker.ts') }
/** What the bundle was built from (esbuild's metafile inputs), to tell when it is stale. */
const INPUTS = join(DIST, 'inputs.json')

function mtime(path) {
  try {
    return statSync(path).mtimeMs
  } catch {
    return Infinity // gone or unreadable: rebuild
  }
}

/** True when dist/ holds a bundle newer than every file it was built from (and this script). */
export function bundleIsFresh() {
  let inputs
  try {
    inputs = JSON.parse(readFileSync(INPUTS, 'utf8'))
  } catch {
    return false
  }
  const built = Math.min(...Object.keys(ENTRIES).map((name) => mtime(join(DIST, `${name}.mjs`))))
  if (!Number.isFinite(built)) return false
  return [fileURLToPath(import.meta.url), ...inputs.map((p) => join(ROOT, p))].every((p) => mtime(p) < built)
}

/** Builds dist/ (each file written beside and renamed, so a CLI starting meanwhile never reads half a file). */
export async function buildBundle() {
  // Outputs are stamped with the build's start: a source saved while esbuild runs is then newer and
  // the next start rebuilds, instead of a bundle of the old text passing for fresh.
  const started = new Date()
  const esbuild = await import('esbuild')
  const r = await esbuild.build({
    entryPoints: ENTRIES,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outdir: DIST,
    outExtension: { '.js': '.mjs' },
    // native add-ons stay outside (ws loads them optionally)
    external: ['bufferutil', 'utf-8-validate'],
    // CommonJS dependencies (ws) call require() for Node's built-ins
    banner: {
      js: "import { createRequire as __tidepoolRequire } from 'node:module'; const require = __tidepoolRequire(import.meta.url);",
    },
    sourcemap: 'linked',
    metafile: true,
    write: false,
    logLevel: 'warning',
  })
  mkdirSync(DIST, { recursive: true })
  const tmp = (p) => `${p}.${process.pid}.tmp`
  for (const f of r.outputFiles) {
    writeFileSync(tmp(f.path), f.contents)
    utimesSync(tmp(f.path), started, started)
    renameSync(tmp(f.path), f.path)
  }
  const inputs = Object.keys(r.metafile.inputs).map((p) => relative(ROOT, resolve(process.cwd(), p)))
  writeFileSync(tmp(INPUTS), JSON.stringify(inputs))
  renameSync(tmp(INPUTS), INPUTS)
}

export async function ensureBundle() {
  if (!bundleIsFresh()) await buildBundle()
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildBundle()
