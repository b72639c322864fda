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
  const rss = p.peakMiB !== null ? `peak RSS ${f(p.peakMiB, 0)} MiB, ` : ''
  return `  ${name} ${f(p.mibps)} MiB/s (${f(p.seconds)} s), ${f(perGiB(p.cpuSec, sizeMiB))} CPU-s/GiB${startup}, ${rss}peak anon ${f(p.anonPeakMiB, 0)} MiB (load ${f(p.load, 2)})`
}

/** A browser phase's CPU per GiB by process (a renderer split by thread) and its peak memory by process. */
export function usageLines(p: Phase, sizeMiB: number): string[] {
  if (!p.ok || !p.usage) return []
  const { cpuByRole, cpuByThread, anonMiBByRole } = p.usage
  const roles = [...cpuByRole].filter(([, v]) => v >= 0.05).sort((a, b) => b[1] - a[1])
  const cpu = roles.map(([role, v]) => {
    const threads = [...cpuByThread]
      .filter(([k, tv]) => k.startsWith(`${role}: `) && tv >= 0.05)
      .sort((a, b) => b[1] - a[1])
      .map(([k, tv]) => `${k.slice(role.length + 2)} ${f(perGiB(tv, sizeMiB))}`)
    return `${role} ${f(perGiB(v, sizeMiB))}${threads.length > 0 ? ` (${threads.join(', ')})` : ''}`
  })
  const mem = [...anonMiBByRole]
    .filter(([, v]) => v >= 1)
    .sort((a, b) => b[1] - a[1])
    .map(([role, v]) => `${role} ${f(v, 0)}`)
  return [`    CPU-s/GiB by process: ${cpu.join(', ')}`, `    peak anon MiB by process: ${mem.join(', ')}`]
}

/** `a / b` to two decimals, or — when either phase failed. */
export function ratio(a: number, b: number): string {
  return f(a / b, 2)
}

const mib = (n: number | null) => (n === null ? '—' : `${n.toFixed(0)} MiB`)

/**
 * The run as a markdown table, each client against the reference phase: its speed (or, with `by:
 * 'time'`, its time) and its CPU per GiB as multiples of the reference's.
 */
export function resultTable(results: Phase[], sizeMiB: number, ref: Phase, by: 'speed' | 'time'): string {
  const against = by === 'speed' ? `MiB/s / ${ref.client}'s` : `time / ${ref.client}'s`
  const lines = [
    `| client | time | MiB/s | ${against} | CPU-s per GiB | CPU / ${ref.client}'s | peak RSS | peak anon | load |`,
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|',
  ]
  const refCpu = perGiB(ref.cpuSec, sizeMiB) ?? NaN
  for (const p of results) {
    if (!p.ok) {
      lines.push(`| ${p.client} | failed: ${p.note.replace(/\|/g, '/')} | | | | | | | ${f(p.load, 1)} |`)
      continue
    }
    const vs = !ref.ok ? '—' : by === 'speed' ? ratio(p.mibps, ref.mibps) : ratio(p.seconds, ref.seconds)
    const cpu = perGiB(p.cpuSec, sizeMiB)
    lines.push(
      `| ${p.client} | ${f(p.seconds)} s | ${f(p.mibps)} | ${vs} | ${f(cpu)} | ${ref.ok ? ratio(cpu ?? NaN, refCpu) : '—'} | ${mib(p.peakMiB)} | ${mib(p.anonPeakMiB)} | ${f(p.load, 1)} |`,
    )
  }
  return lines.join('\n')
}
