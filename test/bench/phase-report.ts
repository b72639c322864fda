// How the browser and swarm benchmarks print a phase: speed, CPU per GiB, peak memory, and for a
// browser where its CPU and memory went (by process, a renderer by thread).
import { loadavg } from 'node:os'
import type { Phase } from './client-phases.ts'

const f = (n: number | null | undefined, d = 1) =>
  n === null || n === undefined || !Number.isFinite(n) ? '—' : n.toFixed(d)

/** The load averages (1, 5, 15 min) as `uptime` prints them. */
export const loadText = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(', ')

export const perGiB = (sec: number | null, sizeMiB: number) => (sec === null ? null : sec / (sizeMiB / 1024))

export function phaseLine(p: Phase, sizeMiB: number): string {
  const name = `${p.client}:`.padEnd(12)
  if (!p.ok) return `  ${name} FAILED ${p.note}`
  const startup =
    p.startupCpuSec !== undefined && p.startupCpuSec !== null ? ` + ${f(p.startupCpuSec)} CPU-s start-up` : ''
  return `  ${name} ${f(p.mibps)} MiB/s (${f(p.seconds)} s), ${f(perGiB(p.cpuSec, sizeMiB))} CPU-s/GiB${startup}, peak ${f(p.peakMiB, 0)} MiB (load ${f(p.load, 2)})`
}

/** A browser phase's CPU per GiB by process (a renderer split by thread) and its peak memory by process. */
export function usageLines(p: Phase, sizeMiB: number): string[] {
  if (!p.ok || !p.usage) return []
  const { cpuByRole, cpuByThread, peakMiBByRole } = p.usage
  const roles = [...cpuByRole].filter(([, v]) => v >= 0.05).sort((a, b) => b[1] - a[1])
  const cpu = roles.map(([role, v]) => {
    const threads = [...cpuByThread]
      .filter(([k, tv]) => k.startsWith(`${role}: `) && tv >= 0.05)
      .sort((a, b) => b[1] - a[1])
      .map(([k, tv]) => `${k.slice(role.length + 2)} ${f(perGiB(tv, sizeMiB))}`)
    return `${role} ${f(perGiB(v, sizeMiB))}${threads.length > 0 ? ` (${threads.join(', ')})` : ''}`
  })
  const mem = [...peakMiBByRole]
    .filter(([, v]) => v >= 1)
    .sort((a, b) => b[1] - a[1])
    .map(([role, v]) => `${role} ${f(v, 0)}`)
  return [`    CPU-s/GiB by process: ${cpu.join(', ')}`, `    peak MiB by process: ${mem.join(', ')}`]
}

/** `a / b` to two decimals, or — when either phase failed. */
export function ratio(a: number, b: number): string {
  return f(a / b, 2)
}
