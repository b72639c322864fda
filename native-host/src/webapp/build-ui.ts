/** Builds the web UI (packages/ui → dist) with vite when the sources are newer than the last build. */
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
export const UI_DIR = join(REPO_ROOT, 'packages', 'ui')
export const UI_DIST = join(UI_DIR, 'dist')
const STAMP = join(UI_DIST, '.tidepool-build-stamp')

/** Newest mtime under dir (bounded walk; skips node_modules and build output). */
export function newestMtime(dir: string, depth = 8): number {
  if (!existsSync(dir) || depth < 0) return 0
  let newest = statSync(dir).mtimeMs
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('dist') || e.name.startsWith('.')) continue
    const p = join(dir, e.name)
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p, depth - 1) : statSync(p).mtimeMs)
  }
  return newest
}

export function uiBuildIsFresh(): boolean {
  if (!existsSync(STAMP) || !existsSync(join(UI_DIST, 'index.html'))) return false
  const built = statSync(STAMP).mtimeMs
  const sources = Math.max(
    ...['packages/ui', 'packages/engine/src', 'packages/daemon-bridge/src'].map((d) => newestMtime(join(REPO_ROOT, d))),
  )
  return built >= sources
}

export async function buildUi(
  opts: { force?: boolean; log?: (m: string) => void } = {},
): Promise<{ built: boolean; ms: number }> {
  const t0 = Date.now()
  if (!opts.force && uiBuildIsFresh()) return { built: false, ms: 0 }
  opts.log?.('building the web UI…')
  const { build } = await import('vite')
  await build({ configFile: join(UI_DIR, 'vite.config.ts'), logLevel: 'warn' })
  writeFileSync(STAMP, `${new Date().toISOString()}\n`)
  return { built: true, ms: Date.now() - t0 }
}
