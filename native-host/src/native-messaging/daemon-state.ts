/** The state file (daemon.json) that lets a short-lived host find the daemon an earlier host started. */
import { open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import net from 'node:net'
import { join } from 'node:path'

export interface DaemonState {
  pid: number
  port: number
  version: string
  origins: string[]
  downloadRoot: string
  parentPid: number | null
  startedAt: string
}

export const stateFile = (dir: string): string => join(dir, 'daemon.json')

export async function readDaemonState(dir: string): Promise<DaemonState | null> {
  try {
    const j = JSON.parse(await readFile(stateFile(dir), 'utf8')) as DaemonState
    if (!Number.isInteger(j.pid) || !Number.isInteger(j.port) || !Array.isArray(j.origins)) return null
    return j
  } catch {
    return null // missing or torn: treat as no daemon
  }
}

/** Written to a temp file and renamed, so a concurrent reader never sees half a file. */
export async function writeDaemonState(dir: string, s: DaemonState): Promise<void> {
  const tmp = `${stateFile(dir)}.${process.pid}.tmp`
  try {
    await writeFile(tmp, `${JSON.stringify(s, null, 2)}\n`, { mode: 0o600 })
    await rename(tmp, stateFile(dir))
  } catch (err) {
    // a full disk leaves a created, partly written temp file: remove it, report the write's error
    await rm(tmp, { force: true }).catch(() => undefined)
    throw err
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM'
  }
}

/** True when something accepts TCP on 127.0.0.1:port within `ms`. */
export function portOpen(port: number, ms = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port })
    const done = (ok: boolean): void => {
      clearTimeout(t)
      s.destroy()
      resolve(ok)
    }
    const t = setTimeout(() => done(false), ms)
    s.once('connect', () => done(true))
    s.once('error', () => done(false))
  })
}

/**
 * A lock file so two hosts started at once (popup and service worker) do not both spawn a daemon.
 * A lock older than `staleMs` belongs to a host that died mid-start and is taken over.
 */
export async function withLock<T>(
  dir: string,
  fn: () => Promise<T>,
  opts: { waitMs?: number; staleMs?: number } = {},
): Promise<T> {
  const file = join(dir, 'daemon.lock')
  const waitMs = opts.waitMs ?? 20_000
  const staleMs = opts.staleMs ?? 30_000
  const deadline = Date.now() + waitMs
  for (;;) {
    try {
      const h = await open(file, 'wx', 0o600)
      await h.writeFile(String(process.pid))
      await h.close()
      break
    } catch (e) {
      if ((e as { code?: string }).code !== 'EEXIST') throw e
      const age = await stat(file).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      )
      if (age > staleMs) {
        await rm(file, { force: true })
        continue
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${file}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  try {
    return await fn()
  } finally {
    await rm(file, { force: true })
  }
}
