/**
 * The native-messaging host loop: Chrome starts it with the caller's origin as argv[1]
 * (`chrome-extension://ID/`), we answer each request on stdout with framed JSON and exit when
 * Chrome closes stdin (the extension disconnected its Port). Nothing but frames goes to stdout.
 */
import type { Readable, Writable } from 'node:stream'
import { configDir, extensionOrigin, loadHostConfig } from './config.ts'
import { ensureDaemon, type DaemonInfo } from './ensure-daemon.ts'
import { encodeFrame, FrameReader } from './framing.ts'

export interface HostOptions {
  input: Readable
  output: Writable
  /** argv as Chrome passes it: [origin, ...]; on Windows also `--parent-window=N`. */
  argv: string[]
  version: string
  env?: NodeJS.ProcessEnv
  /** Process the daemon should outlive no longer than; default the host's parent (the browser). */
  parentPid?: number | null
  log?: (m: string) => void
}

/** The reply the extension's service worker waits for. */
export interface DaemonReply {
  type: 'daemon'
  id?: unknown
  port: number
  url: string
  token: string
  version: string
}

export interface ErrorReply {
  type: 'error'
  id?: unknown
  error: string
}

/** Resolves when stdin has ended and every reply has been written. */
export async function runHost(o: HostOptions): Promise<void> {
  const log = o.log ?? ((m: string) => process.stderr.write(`tidepool native-host: ${m}\n`))
  const origin = extensionOrigin(o.argv.find((a) => a.startsWith('chrome-extension://')))
  const dir = configDir(o.env)
  const parentPid = o.parentPid === undefined ? (process.ppid > 1 ? process.ppid : null) : o.parentPid
  const reader = new FrameReader()
  let queue = Promise.resolve()

  const send = (msg: DaemonReply | ErrorReply | { type: 'pong'; id?: unknown }): Promise<void> =>
    new Promise((resolve) => {
      o.output.write(encodeFrame(msg), () => resolve())
    })

  const answer = async (req: unknown): Promise<void> => {
    const id = typeof req === 'object' && req !== null ? (req as { id?: unknown }).id : undefined
    const type = typeof req === 'object' && req !== null ? (req as { type?: unknown }).type : undefined
    if (type === 'ping') return send({ type: 'pong', id })
    if (!origin)
      return send({
        type: 'error',
        id,
        error: 'the host must be started by Chrome with the caller origin chrome-extension://ID/',
      })
    let info: DaemonInfo
    try {
      const config = await loadHostConfig(dir)
      info = await ensureDaemon({ dir, origin, config, version: o.version, parentPid, log })
    } catch (e) {
      log(`cannot provide a daemon: ${(e as Error).message}`)
      return send({ type: 'error', id, error: (e as Error).message })
    }
    return send({
      type: 'daemon',
      id,
      port: info.port,
      url: `ws://127.0.0.1:${info.port}`,
      token: info.token,
      version: o.version,
    })
  }

  await new Promise<void>((resolve) => {
    o.input.on('data', (chunk: Buffer) => {
      let msgs: unknown[]
      try {
        msgs = reader.push(chunk)
      } catch (e) {
        log(`bad frame: ${(e as Error).message}`)
        o.input.destroy()
        resolve()
        return
      }
      for (const m of msgs) queue = queue.then(() => answer(m))
    })
    o.input.once('end', resolve)
    o.input.once('close', resolve)
    o.input.once('error', () => resolve())
  })
  await queue
}
