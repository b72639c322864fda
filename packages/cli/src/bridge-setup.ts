import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { Worker } from 'node:worker_threads'
import { connectBridge, type BridgeClient } from '@tidepool/daemon-bridge'
import { connectBridgeNode } from '@tidepool/daemon-bridge/node'
import { portMappingAllowed, startDaemon, type DaemonOptions, type RunningDaemon } from '@tidepool/native-host'
import type { DataPlane, FilePort, NetPort, StreamPort } from '@tidepool/engine'
import { CliError, EXIT } from './errors.ts'

export interface BridgeSetup {
  net: NetPort
  files: FilePort
  /** Local URLs for players (served while the daemon listens: `tidepool stream`). */
  streams: StreamPort
  /** Piece payloads kept in the daemon (absent when it did not announce `data-plane`). */
  dataPlane?: DataPlane
  /** Root names the engine may write to. */
  roots: string[]
  /** Resolves with a reason if the daemon connection drops while we still use it. */
  lost: Promise<string>
  /** How the engine reaches the daemon: its own daemon over the in-process link, or a WebSocket. */
  carrier: 'in-process' | 'websocket'
  close(): Promise<void>
}

/**
 * Either starts a daemon in this process (random token, one root per entry of `roots`) or connects to
 * a running one given its URL and token file. Any failure to reach the daemon is a CliError with the
 * "daemon unreachable" exit code.
 *
 * The engine talks to its own daemon over an in-process link (`RunningDaemon.connectInProcess`): the
 * same protocol and session, without sending every byte through loopback TCP twice.
 * TIDEPOOL_BRIDGE=websocket uses a loopback WebSocket instead (the path a browser takes; benchmarks
 * compare the two), TIDEPOOL_DAEMON_THREAD=1 the daemon in a worker thread over a WebSocket.
 */
export async function setupBridge(opts: {
  roots: Record<string, string>
  daemonUrl: string | null
  tokenFile: string | null
  /** Our own daemon maps ports (unless TIDEPOOL_NO_PORT_MAPPING is set); a running daemon decides itself. */
  portMapping?: boolean
  /**
   * Our own daemon also listens on this loopback port (0: any) so players can read streams from it;
   * absent: it does not listen (the engine uses the in-process link either way).
   */
  streamPort?: number
}): Promise<BridgeSetup> {
  let daemon: { url: string; close(): Promise<void> } | null = null
  let inProcess: RunningDaemon | null = null
  let url: string
  let token: string
  if (opts.daemonUrl) {
    try {
      token = (await readFile(opts.tokenFile!, 'utf8')).trim()
    } catch (err) {
      throw new CliError(
        EXIT.daemonUnreachable,
        `daemon unreachable: cannot read token file ${opts.tokenFile}: ${(err as Error).message}`,
      )
    }
    url = opts.daemonUrl
  } else {
    token = randomBytes(32).toString('hex')
    const daemonOpts: DaemonOptions = {
      host: '127.0.0.1',
      port: 0,
      token,
      roots: opts.roots,
      portMapping: opts.portMapping === true && portMappingAllowed(),
    }
    try {
      if (process.env.TIDEPOOL_DAEMON_THREAD === '1') daemon = await startDaemonThread(daemonOpts)
      else if (process.env.TIDEPOOL_BRIDGE === 'websocket') daemon = await startDaemon(daemonOpts)
      else if (opts.streamPort !== undefined)
        daemon = inProcess = await startDaemon({ ...daemonOpts, port: opts.streamPort })
      else daemon = inProcess = await startDaemon({ ...daemonOpts, listen: false })
    } catch (err) {
      throw new CliError(
        EXIT.daemonUnreachable,
        `daemon unreachable: could not start the daemon: ${(err as Error).message}`,
      )
    }
    url = daemon.url
  }
  try {
    // Over the link, sends in fragments hand a file write's piece buffer to the daemon uncopied; over a
    // WebSocket, the Node entry (ws with bufferutil, pooled sends, arena reads).
    const client: BridgeClient = inProcess
      ? await connectBridge({ url, token, socket: inProcess.connectInProcess(), sendMode: 'fragments' })
      : await connectBridgeNode({ url, token })
    const lost = new Promise<string>((resolve) => {
      client.onClose = (reason, detail) => {
        if (reason !== 'closed-by-client') resolve(`${reason}: ${detail}`)
      }
    })
    return {
      net: client.net,
      files: client.files,
      streams: client.streams,
      dataPlane: client.dataPlane,
      roots: client.roots ?? Object.keys(opts.roots),
      lost,
      carrier: inProcess ? 'in-process' : 'websocket',
      async close() {
        // shutting down: a bridge or daemon that fails to close dies with the process
        await Promise.resolve(client.close()).catch(() => undefined)
        if (daemon) await daemon.close().catch(() => undefined)
      },
    }
  } catch (err) {
    // the connect error below is what the user needs to see, not a second one from closing
    if (daemon) await daemon.close().catch(() => undefined)
    throw new CliError(EXIT.daemonUnreachable, `daemon unreachable: ${url}: ${(err as Error).message}`)
  }
}

/** Runs startDaemon in a worker thread (see daemon-worker.ts). */
function startDaemonThread(opts: DaemonOptions): Promise<{ url: string; close(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    // From the bundle (dist/main.mjs) the worker's module sits beside it; from the sources (tsx) it is
    // TypeScript, and worker threads do not inherit tsx's loader hooks: register them first.
    const bundled = import.meta.url.endsWith('.mjs')
    const entry = new URL(bundled ? './daemon-worker.mjs' : './daemon-worker.ts', import.meta.url).href
    const boot = bundled
      ? `import(${JSON.stringify(entry)})`
      : `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => m.register()).then(() => import(${JSON.stringify(entry)}))`
    const worker = new Worker(boot, {
      eval: true,
      workerData: opts,
      resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 64 },
    })
    let closing: Promise<void> | null = null
    const close = () => {
      closing ??= new Promise<void>((done) => {
        const timer = setTimeout(() => void worker.terminate().then(() => done()), 3000)
        worker.once('exit', () => {
          clearTimeout(timer)
          done()
        })
        worker.postMessage('close')
      })
      return closing
    }
    worker.once('error', reject)
    worker.on('message', (m: { type: string; url?: string; message?: string }) => {
      if (m.type === 'ready') resolve({ url: m.url!, close })
      else if (m.type === 'error') {
        reject(new Error(m.message))
        void worker.terminate()
      }
    })
  })
}
