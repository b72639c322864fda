import { spawn } from 'node:child_process'
import dgram from 'node:dgram'
import http from 'node:http'
import net from 'node:net'

export interface EchoServer {
  port: number
  /** Sockets currently open on the server side. */
  open(): number
  close(): Promise<void>
}

/** TCP echo on loopback; answers the peer's FIN with its own after echoing. */
export async function tcpEcho(host = '127.0.0.1'): Promise<EchoServer> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => {}) // resets from clients the cases close abruptly; the echo serves the others
    s.pipe(s)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, () => resolve())
  })
  return {
    port: (server.address() as net.AddressInfo).port,
    open: () => sockets.size,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy()
        server.close(() => r())
      }),
  }
}

/** A loopback TCP server that accepts and never reads: what is sent to it piles up in buffers. */
export async function stalledServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((s) => {
    sockets.add(s)
    s.pause()
    s.on('error', () => {}) // the daemon resets it when the case's socket is closed: expected
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy()
        server.close(() => r())
      }),
  }
}

export async function udpEcho(): Promise<{ port: number; close(): void }> {
  const s = dgram.createSocket('udp4')
  s.on('message', (m, r) => s.send(m, r.port, r.address))
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r))
  return { port: s.address().port, close: () => s.close() }
}

/** An echo on [::1], or null when this machine has no IPv6 loopback. */
export async function udpEcho6(): Promise<{ port: number; close(): void } | null> {
  const s = dgram.createSocket('udp6')
  s.on('message', (m, r) => s.send(m, r.port, r.address))
  const ok = await new Promise<boolean>((resolve) => {
    s.once('error', () => resolve(false))
    s.bind(0, '::1', () => resolve(true))
  })
  if (!ok) {
    s.close()
    return null
  }
  return { port: s.address().port, close: () => s.close() }
}

/** A port nothing listens on (bound then released). */
export async function closedPort(): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as net.AddressInfo).port
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

/**
 * A loopback port whose connects hang: a child process listens with backlog 1 and is then stopped
 * (SIGSTOP), so it never accepts. We fill its accept queue with raw connects; Linux then drops
 * further SYNs and connects to it hang until the connector gives up.
 */
export async function hangingPort(): Promise<{ port: number; close(): void }> {
  const code = `const s=require('net').createServer();s.listen({port:0,host:'127.0.0.1',backlog:1},()=>console.log(s.address().port))`
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'ignore'] })
  const port = await new Promise<number>((resolve, reject) => {
    let out = ''
    const t = setTimeout(() => reject(new Error('hanging listener did not start')), 5000)
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString()
      if (out.includes('\n')) {
        clearTimeout(t)
        resolve(Number(out.trim()))
      }
    })
    child.once('exit', () => reject(new Error('hanging listener exited')))
  })
  child.kill('SIGSTOP')
  const fillers: net.Socket[] = []
  for (let i = 0; i < 4; i++) {
    const s = net.connect(port, '127.0.0.1')
    s.on('error', () => {}) // fillers exist only to occupy the backlog; they may time out or be reset
    fillers.push(s)
  }
  await new Promise((r) => setTimeout(r, 200))
  return {
    port,
    close: () => {
      for (const s of fillers) s.destroy()
      child.kill('SIGKILL')
    },
  }
}

/** Sends a WebSocket upgrade with the given headers; resolves with the HTTP status (101 = accepted). */
export async function upgradeStatus(port: number, headers: Record<string, string>): Promise<number> {
  return (await upgradeResponse(port, headers)).status
}

/** Sends a WebSocket upgrade with the given headers; resolves with the response's status and headers. */
export function upgradeResponse(
  port: number,
  headers: Record<string, string>,
): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        ...headers,
      },
    })
    const t = setTimeout(() => {
      req.destroy()
      reject(new Error('no answer to upgrade'))
    }, 5000)
    req.on('upgrade', (res, socket) => {
      clearTimeout(t)
      socket.destroy()
      resolve({ status: res.statusCode ?? 0, headers: res.headers })
    })
    req.on('response', (res) => {
      clearTimeout(t)
      res.resume()
      resolve({ status: res.statusCode ?? 0, headers: res.headers })
    })
    req.on('error', (e) => {
      clearTimeout(t)
      reject(e)
    })
    req.end()
  })
}
