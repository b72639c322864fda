import { mkdtemp, rm } from 'node:fs/promises'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import {
  connectBridge,
  type BridgeClient,
  type DaemonLimits,
  type SendMode,
  type WebSocketCtor,
} from '@tidepool/daemon-bridge'
import { connectBridgeNode } from '@tidepool/daemon-bridge/node'
import { startDaemon, type RunningDaemon } from '../src/index.ts'

export const TOKEN = 'a'.repeat(64)
export const WS = WebSocket as unknown as WebSocketCtor

export interface TestDaemon {
  daemon: RunningDaemon
  dir: string
  /**
   * Stock `ws` client sending in fragments unless another `sendMode` is given ('fresh': browser-style
   * sends); `node: true` uses the product's Node entry (connectBridgeNode: arena reads, Buffers, zero
   * mask, send mode 'pool'); `link: true` an in-process link instead of a WebSocket (the CLI's carrier).
   */
  connect(opts?: { sendMode?: SendMode; node?: boolean; link?: boolean }): Promise<BridgeClient>
  stop(): Promise<void>
}

/** A real daemon in this process with a scratch root named `scratch`. */
export async function testDaemon(limits?: Partial<DaemonLimits>): Promise<TestDaemon> {
  const dir = await mkdtemp(join(tmpdir(), 'tidepool-daemon-'))
  const daemon = await startDaemon({
    token: TOKEN,
    roots: { scratch: dir },
    allowOrigins: ['chrome-extension://good'],
    limits,
  })
  const clients: BridgeClient[] = []
  return {
    daemon,
    dir,
    async connect(opts) {
      const c = opts?.link
        ? await connectBridge({
            url: daemon.url,
            token: TOKEN,
            socket: daemon.connectInProcess(),
            sendMode: opts.sendMode ?? 'fragments',
          })
        : opts?.node
          ? await connectBridgeNode({ url: daemon.url, token: TOKEN, sendMode: opts.sendMode })
          : await connectBridge({
              url: daemon.url,
              token: TOKEN,
              WebSocketImpl: WS,
              sendMode: opts?.sendMode ?? 'fragments',
            })
      clients.push(c)
      return c
    },
    async stop() {
      for (const c of clients) c.close()
      await daemon.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** Loopback echo server; `end` from the client is answered with `end` after echoing. */
export async function echoServer(): Promise<{ port: number; sockets: Set<net.Socket>; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => {})
    s.pipe(s)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    port: (server.address() as net.AddressInfo).port,
    sockets,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy()
        server.close(() => r())
      }),
  }
}

/** Polls `cond` every 5 ms, at most `ms` in all. */
export async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}
