import { describe, expect, it } from 'vitest'

// The modules of torrent/ form no import circle, `import type` included: each helper sees its
// torrent through an interface it declares itself, never the Torrent class (see docs/architecture.md,
// "Inside a torrent"). Vite hands over the sources of this folder as text.

declare global {
  interface ImportMeta {
    glob(pattern: string, opts: { query: '?raw'; import: 'default'; eager: true }): Record<string, string>
  }
}

const sources = import.meta.glob('./*.ts', { query: '?raw', import: 'default', eager: true })

/** Relative imports within the folder: static, type-only, re-exports and dynamic ones. */
function localImports(source: string): string[] {
  const out = new Set<string>()
  const patterns = [
    /\b(?:import|export)\s[^;]*?\bfrom\s*['"](\.\/[^'"]+)['"]/g,
    /\bimport\s*\(\s*['"](\.\/[^'"]+)['"]\s*\)/g,
    /\bimport\s*['"](\.\/[^'"]+)['"]/g,
  ]
  for (const re of patterns) for (const m of source.matchAll(re)) out.add(m[1]!)
  return [...out]
}

/** One circle of the graph as a path (first node repeated at the end), or null. */
function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>()
  const path: string[] = []
  const visit = (n: string): string[] | null => {
    if (state.get(n) === 'done') return null
    if (state.get(n) === 'open') return [...path.slice(path.indexOf(n)), n]
    state.set(n, 'open')
    path.push(n)
    for (const m of graph.get(n) ?? []) {
      const c = visit(m)
      if (c) return c
    }
    path.pop()
    state.set(n, 'done')
    return null
  }
  for (const n of graph.keys()) {
    const c = visit(n)
    if (c) return c
  }
  return null
}

describe('imports in torrent/', () => {
  it('finds circles, type-only edges included', () => {
    expect(
      localImports("import type { A } from './a.ts'\nimport {\n  B,\n} from './b.ts'\nexport { C } from './c.ts'"),
    ).toEqual(['./a.ts', './b.ts', './c.ts'])
    const g = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', []],
    ])
    expect(findCycle(g)).toEqual(['a', 'b', 'c', 'a'])
    expect(
      findCycle(
        new Map([
          ['a', ['b']],
          ['b', []],
        ]),
      ),
    ).toBeNull()
  })

  it('has no circle', () => {
    const files = Object.keys(sources)
    expect(files.length).toBeGreaterThan(10)
    expect(files).toContain('./torrent.ts')
    const graph = new Map(files.map((f) => [f, localImports(sources[f]!).filter((d) => d in sources)]))
    expect(graph.get('./torrent.ts')).toContain('./downloader.ts') // the parse sees real edges
    expect(findCycle(graph)).toBeNull()
  })
})
