/**
 * Finds the running daemon through daemon.json or starts one, detached so it outlives the
 * short-lived native host. Lifetime: the daemon gets `--parent-pid` = the browser process (the
 * host's parent, since Chrome spawns the host and the launcher `exec`s node), so it keeps serving
 * while the browser runs — with or without Tidepool pages — and exits when the browser is gone.
 */
import { spawn } from 'node:child_process'
import { openSync, closeSync } from 'node:fs'
import { chmod, mkdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadOrCreateToken } from '../daemon/index.ts'
import type { HostConfig } from './config.ts'
import { isOurDaemon } from './daemon-identity.ts'
import { pidAlive, readDaemonState, withLock, writeDaemonState, type DaemonState } from './daemon-state.ts'
import { LAUNCH_LAYOUT } from '../launch-layout.ts'

export const DAEMON_CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'daemon.ts')
/** What a running daemon's command line contains (the checkout's script, or the helper bundle + `daemon`). */
const DAEMON_MARKER = LAUNCH_LAYOUT.daemonMarker

export interface EnsureOptions {
  dir: string
  /** Origin of the caller, e.g. chrome-extension://<id> (no trailing slash). */
  origin: string
  config: HostConfig
  version: string
  /** Process whose exit stops the daemon; null = none. */
  parentPid: number | null
  log?: (m: string) => void
}

export interface DaemonInfo {
  port: number
  token: string
  pid: number
  /** True when this call spawned the daemon. */
  started: boolean
}

async function usable(s: DaemonState | null, o: EnsureOptions): Promise<boolean> {
  if (!s || !(await isOurDaemon(s.pid, s.port, DAEMON_MARKER))) return false
  return s.origins.includes(o.origin) && s.downloadRoot === o.config.downloadRoot && s.version === o.version
}

async function stopOld(s: DaemonState, log: (m: string) => void): Promise<void> {
  // Only our own daemon process, listening on the port the state names: never a reused pid.
  if (!(await isOurDaemon(s.pid, s.port, DAEMON_MARKER))) return
  log(`restarting daemon ${s.pid} (origins, root or version changed)`)
  process.kill(s.pid, 'SIGTERM')
  for (let i = 0; i < 60 && pidAlive(s.pid); i++) await new Promise((r) => setTimeout(r, 50))
}

function spawnDaemon(o: EnsureOptions, origins: string[], tokenFile: string): Promise<{ pid: number; port: number }> {
  const args = [
    ...LAUNCH_LAYOUT.daemonArgs,
    '--port',
    '0',
    '--token-file',
    tokenFile,
    '--root',
    `downloads=${o.config.downloadRoot}`,
    // More roots come from config.json's `roots`, which only `pnpm native-host grant` writes.
    '--grants-file',
    join(o.dir, 'config.json'),
    '--deny-no-origin',
  ]
  for (const origin of origins) args.push('--allow-origin', origin)
  if (o.parentPid !== null) args.push('--parent-pid', String(o.parentPid))
  const logFd = openSync(join(o.dir, 'daemon.log'), 'a', 0o600)
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', 'pipe', logFd], cwd: o.dir })
  closeSync(logFd)
  return new Promise((resolve, reject) => {
    let text = ''
    const fail = (why: string): void => {
      clearTimeout(timer)
      child.stdout!.destroy()
      if (child.pid !== undefined && child.exitCode === null) child.kill('SIGTERM')
      reject(new Error(`daemon did not start: ${why} (see ${join(o.dir, 'daemon.log')})`))
    }
    const timer = setTimeout(() => fail('no port within 20 s'), 20_000)
    child.once('error', (e) => fail(e.message))
    child.once('exit', (code) => fail(`exited with ${code}`))
    child.stdout!.on('data', (b: Buffer) => {
      text += b.toString('utf8')
      const nl = text.indexOf('\n')
      if (nl < 0) return
      clearTimeout(timer)
      child.removeAllListeners('exit')
      child.removeAllListeners('error')
      child.stdout!.destroy() // the first line is all the daemon prints
      child.unref()
      try {
        const j = JSON.parse(text.slice(0, nl)) as { port: number; pid: number }
        resolve({ port: j.port, pid: j.pid })
      } catch (e) {
        reject(new Error(`daemon printed no JSON: ${(e as Error).message}`))
      }
    })
  })
}

export async function ensureDaemon(o: EnsureOptions): Promise<DaemonInfo> {
  const log = o.log ?? (() => {})
  await mkdir(o.dir, { recursive: true, mode: 0o700 })
  const tokenFile = join(o.dir, 'token')
  const token = await loadOrCreateToken(tokenFile)
  await chmod(tokenFile, 0o600)
  return withLock(o.dir, async () => {
    const old = await readDaemonState(o.dir)
    if (old && (await usable(old, o))) return { port: old.port, token, pid: old.pid, started: false }
    // Keep admitting the extensions a still-running daemon served; add the caller and the web app.
    const keep =
      old && (await isOurDaemon(old.pid, old.port, DAEMON_MARKER))
        ? old.origins.filter((x) => x.startsWith('chrome-extension://'))
        : []
    const origins = [...new Set([o.origin, ...keep, ...o.config.webAppOrigins])]
    if (old) await stopOld(old, log)
    await mkdir(o.config.downloadRoot, { recursive: true })
    const { pid, port } = await spawnDaemon(o, origins, tokenFile)
    await writeDaemonState(o.dir, {
      pid,
      port,
      version: o.version,
      origins,
      downloadRoot: o.config.downloadRoot,
      parentPid: o.parentPid,
      startedAt: new Date().toISOString(),
    })
    log(`started daemon ${pid} on port ${port}`)
    return { port, token, pid, started: true }
  })
}
