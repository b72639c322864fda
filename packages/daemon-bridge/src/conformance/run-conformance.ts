import { randomBytes } from 'node:crypto'
import { capCases } from './cases-caps.ts'
import { authCases } from './cases-auth.ts'
import { fileCases, pathCases } from './cases-files.ts'
import { frameCases } from './cases-frames.ts'
import { multicastCases } from './cases-multicast.ts'
import { netCases } from './cases-net.ts'
import { portmapCases } from './cases-portmap.ts'
import { moveCases } from './cases-move.ts'
import { utpCases } from './cases-utp.ts'
import { streamCases } from './cases-streams.ts'
import { dataPlaneCases } from './cases-data-plane.ts'
import { CaseContext, type ConformanceCase, type ConformanceTarget } from './harness.ts'

export const allCases: ConformanceCase[] = [
  ...authCases,
  ...frameCases,
  ...pathCases,
  ...fileCases,
  ...netCases,
  ...multicastCases,
  ...capCases,
  ...portmapCases,
  ...moveCases,
  ...utpCases,
  ...streamCases,
  ...dataPlaneCases,
]

export interface CaseResult {
  id: string
  title: string
  ok: boolean
  /** Not run: a plainOnly case over the secure transport. */
  skipped?: true
  ms: number
  error?: string
}

export interface ConformanceReport {
  passed: number
  failed: number
  skipped: number
  results: CaseResult[]
}

/** Longest a single case may run (the timeout case needs connectTimeoutMs plus margin). */
const CASE_LIMIT_MS = 60_000

/**
 * Runs the cases (all, or those whose id starts with one of `only`) against a running daemon.
 * The daemon must serve a root named `conformance` (an empty scratch dir); files go under a fresh
 * subdirectory of it per run.
 */
export async function runConformance(
  target: ConformanceTarget,
  opts: { only?: string[]; onResult?: (r: CaseResult) => void } = {},
): Promise<ConformanceReport> {
  const dir = `run-${Date.now()}-${randomBytes(3).toString('hex')}`
  const cases = opts.only?.length ? allCases.filter((c) => opts.only!.some((p) => c.id.startsWith(p))) : allCases
  const results: CaseResult[] = []
  for (const c of cases) {
    if (c.plainOnly && target.secure) {
      const r: CaseResult = { id: c.id, title: c.title, ok: true, skipped: true, ms: 0 }
      results.push(r)
      opts.onResult?.(r)
      continue
    }
    const ctx = new CaseContext(target, dir)
    const t0 = Date.now()
    let error: string | undefined
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      await Promise.race([
        c.run(ctx),
        new Promise<never>((_, rej) => {
          timer = setTimeout(() => rej(new Error(`case did not finish in ${CASE_LIMIT_MS} ms`)), CASE_LIMIT_MS)
        }),
      ])
    } catch (e) {
      error =
        e instanceof Error
          ? `${e.name === 'CheckFailed' || e.name === 'Error' ? '' : `${e.name}: `}${e.message}`
          : String(e)
    } finally {
      clearTimeout(timer)
      await ctx.dispose()
    }
    const r: CaseResult = { id: c.id, title: c.title, ok: error === undefined, ms: Date.now() - t0, error }
    results.push(r)
    opts.onResult?.(r)
  }
  // Best effort: leave the scratch root as we found it.
  const tidy = new CaseContext(target, dir)
  try {
    const c = await tidy.client()
    if (await c.files.stat(tidy.root, dir)) await c.files.remove(tidy.root, dir, { recursive: true })
  } catch {
    // a daemon that fails the file cases may fail this too; the cases already reported it
  } finally {
    await tidy.dispose()
  }
  const skipped = results.filter((r) => r.skipped).length
  const passed = results.filter((r) => r.ok && !r.skipped).length
  return { passed, failed: results.length - passed - skipped, skipped, results }
}
