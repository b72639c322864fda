import { realpathSync } from 'node:fs'
import { relative, sep } from 'node:path'
import type { FilePort } from '@tidepool/engine'

/** Where `--out DIR` puts data: one of the daemon's roots and a folder inside it. */
export interface OutFolder {
  root: string
  dir: string
}

function real(p: string): string {
  try {
    return realpathSync(p)
  } catch {
    return p // not there yet (a subfolder to create): compared as given
  }
}

/**
 * The root whose folder holds `outDir` (the deepest, when roots nest) and the path below it, or null
 * when `outDir` is outside every root the daemon serves: only granted folders take data.
 */
export function outFolder(outDir: string, files: Pick<FilePort, 'roots' | 'rootPath'>): OutFolder | null {
  const target = real(outDir)
  let best: { root: string; base: string } | null = null
  for (const root of files.roots()) {
    const p = files.rootPath?.(root)
    if (!p) continue
    const base = real(p)
    const inside = target === base || target.startsWith(base.endsWith(sep) ? base : base + sep)
    if (inside && (!best || base.length > best.base.length)) best = { root, base }
  }
  if (!best) return null
  const dir = relative(best.base, target).split(sep).filter(Boolean).join('/')
  return { root: best.root, dir }
}
