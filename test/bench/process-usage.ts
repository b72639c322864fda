// CPU time and peak memory of the processes a client runs as (a Chromium and the daemon it talks to, a
// CLI run, a libtorrent leecher), read from /proc and grouped by the role each process plays. Inside
// Chromium's renderers the CPU is split further by thread, because one renderer holds several jobs:
// the page's main thread (for the extension: its tab and its offscreen document), the dedicated workers
// (engine and SHA-1) and the extension's service worker all run in the one extension process.
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { cpuSecondsOf, descendants } from '../fixtures/processes.ts'

/** /proc/PID/stat counts CPU time in clock ticks: 100 a second on Linux. */
const TICKS = 100

export interface ProcSample {
  pid: number
  role: string
  cpuSec: number
  /** VmHWM: the process's peak resident memory so far (shared pages included: a Chromium process's maps the whole browser binary) */
  peakKiB: number
  /** RssAnon: its anonymous resident memory now (heaps, buffers; no file or shared pages); in watchPeaks' result, the most seen */
  anonKiB: number
  /** per thread (renderers only): what the thread runs, and its CPU seconds */
  threads: Map<number, { kind: string; cpuSec: number }>
}

export type TreeSample = Map<number, ProcSample>

/** What a process is, from its command line. */
export function roleOf(cmd: string): string {
  if (/^(\S*\/)?(ba|da)?sh -c /.test(cmd)) return 'launchers' // pnpm's `sh -c` names the script it starts
  if (/--type=renderer/.test(cmd)) return /--extension-process/.test(cmd) ? 'extension process' : 'renderer'
  if (/network\.mojom\.NetworkService/.test(cmd)) return 'network service'
  if (/--type=/.test(cmd)) return 'other Chromium' // gpu, storage, zygotes, utilities
  if (/native-host\/src\/cli\/daemon\.ts/.test(cmd)) return 'daemon'
  if (/native-host\/src\/cli\/native-host\.ts/.test(cmd)) return 'native host'
  if (/native-host\/src\/cli\/app\.ts/.test(cmd)) return 'daemon + web server'
  if (/packages\/cli\/(bin\/tidepool\.mjs|src\/main\.ts)/.test(cmd)) return 'CLI'
  if (/libtorrent-peer\.py/.test(cmd)) return 'libtorrent'
  if (/chromium/.test(cmd)) return 'browser process'
  return 'launchers' // pnpm, tsx's esbuild service
}

/** What a renderer's thread runs, from its name (Chromium names its threads; comm keeps 15 characters). */
function threadKind(pid: number, tid: number, comm: string): string {
  if (tid === pid) return 'main thread'
  if (comm.startsWith('DedicatedWorker')) return 'workers'
  if (comm.startsWith('ServiceWorker')) return 'service worker'
  return 'other threads'
}

async function threadsOf(pid: number): Promise<Map<number, { kind: string; cpuSec: number }>> {
  const out = new Map<number, { kind: string; cpuSec: number }>()
  const tids = await readdir(`/proc/${pid}/task`).catch(() => [] as string[])
  for (const t of tids) {
    const tid = Number(t)
    const [comm, stat] = await Promise.all([
      readFile(`/proc/${pid}/task/${t}/comm`, 'utf8').catch(() => ''),
      readFile(`/proc/${pid}/task/${t}/stat`, 'utf8').catch(() => ''),
    ])
    if (!stat) continue // the thread ended meanwhile
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    out.set(tid, { kind: threadKind(pid, tid, comm.trim()), cpuSec: (Number(f[11]) + Number(f[12])) / TICKS })
  }
  // Both of Tidepool's dedicated workers are named alike; the engine worker starts the SHA-1 worker, so
  // its thread is the older one (the lower thread id).
  const workers = [...out].filter(([, t]) => t.kind === 'workers').map(([tid]) => tid)
  if (workers.length > 0) {
    const engine = Math.min(...workers)
    for (const tid of workers) out.get(tid)!.kind = tid === engine ? 'engine worker' : 'SHA-1 worker'
  }
  return out
}

async function memoryOf(pid: number): Promise<{ peakKiB: number; anonKiB: number } | null> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => null)
  if (!text) return null
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0)
  return { peakKiB: kib('VmHWM'), anonKiB: kib('RssAnon') }
}

/** Every live process under (and including) `roots`, with its role, CPU so far and peak memory so far. */
export async function sampleTree(roots: number[], opts: { threads?: boolean } = {}): Promise<TreeSample> {
  const pids = new Set<number>()
  for (const r of roots) for (const p of [r, ...(await descendants(r))]) pids.add(p)
  const out: TreeSample = new Map()
  for (const pid of pids) {
    const cmd = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0').join(' ')
    const [cpuSec, mem] = await Promise.all([cpuSecondsOf(pid), memoryOf(pid)])
    if (cpuSec === null || !cmd || !mem) continue // gone meanwhile
    const role = roleOf(cmd)
    const threads = opts.threads !== false && /renderer|extension/.test(role) ? await threadsOf(pid) : new Map()
    out.set(pid, { pid, role, cpuSec, ...mem, threads })
  }
  return out
}

/**
 * Resets the processes' VmHWM to their current RSS (`5` into /proc/PID/clear_refs), so the peak read
 * later is the peak since now, not a start-up's (the web app builds its UI before it serves it).
 */
export async function resetPeaks(pids: Iterable<number>): Promise<void> {
  for (const pid of pids) await writeFile(`/proc/${pid}/clear_refs`, '5').catch(() => undefined) // gone, or not ours
}

/**
 * Samples the tree's memory every `everyMs` until stopped: each process's VmHWM, and the most anonymous
 * memory seen (a peak between two samples is missed), so a process that exits before the end (the CLI
 * exits when its download is done) is still counted.
 */
export function watchPeaks(roots: () => number[], everyMs = 250): { stop(): Promise<Map<number, ProcSample>> } {
  const seen = new Map<number, ProcSample>()
  let busy = false
  const tick = async () => {
    if (busy) return // a slow /proc walk on a loaded machine: skip a turn rather than pile up
    busy = true
    try {
      for (const [pid, s] of await sampleTree(roots(), { threads: false })) {
        const old = seen.get(pid)
        seen.set(pid, {
          ...s,
          peakKiB: Math.max(s.peakKiB, old?.peakKiB ?? 0),
          anonKiB: Math.max(s.anonKiB, old?.anonKiB ?? 0),
        })
      }
    } finally {
      busy = false
    }
  }
  const timer = setInterval(() => void tick(), everyMs)
  void tick()
  return {
    async stop() {
      clearInterval(timer)
      for (let i = 0; i < 100 && busy; i++) await new Promise((r) => setTimeout(r, 20))
      await tick()
      return seen
    },
  }
}

export interface Usage {
  /** CPU seconds spent between the two samples, by role, and by `role: thread kind` for renderers */
  cpuByRole: Map<string, number>
  cpuByThread: Map<string, number>
  /** peak anonymous memory by role in MiB: the sum of each process's most seen RssAnon */
  anonMiBByRole: Map<string, number>
}

const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v)

/**
 * CPU spent between `before` and `after` (processes alive at `after`; one that started in between counts
 * from zero), and the peaks in `peaks` (or `after`). A renderer's CPU in threads that ended in between
 * goes to its "other threads".
 */
export function usageBetween(before: TreeSample, after: TreeSample, peaks: Map<number, ProcSample> = after): Usage {
  const cpuByRole = new Map<string, number>()
  const cpuByThread = new Map<string, number>()
  for (const [pid, a] of after) {
    const b = before.get(pid)
    const spent = a.cpuSec - (b?.cpuSec ?? 0)
    add(cpuByRole, a.role, spent)
    if (a.threads.size === 0) continue
    let named = 0
    for (const [tid, t] of a.threads) {
      if (t.kind === 'other threads') continue
      const d = t.cpuSec - (b?.threads.get(tid)?.cpuSec ?? 0)
      add(cpuByThread, `${a.role}: ${t.kind}`, d)
      named += d
    }
    add(cpuByThread, `${a.role}: other threads`, spent - named)
  }
  const anonMiBByRole = new Map<string, number>()
  for (const p of peaks.values()) add(anonMiBByRole, p.role, p.anonKiB / 1024)
  return { cpuByRole, cpuByThread, anonMiBByRole }
}

export const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0)
