// A page on another 127.0.0.1 port that tries to open a WebSocket to the daemon: it must be refused.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { BrowserContext } from 'playwright-core'

export interface ForeignAttempt {
  opened: boolean
  closeCode: number | null
  error: boolean
  messages: number
}

/** Serves a page on its own port, points it at daemonUrl, and reports what its WebSocket saw. */
export async function tryFromForeignOrigin(
  context: BrowserContext,
  daemonUrl: string,
): Promise<ForeignAttempt & { origin: string }> {
  const server = http.createServer((_req, res) => {
    res
      .writeHead(200, { 'content-type': 'text/html' })
      .end('<!doctype html><title>not tidepool</title><p>someone else</p>')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const page = await context.newPage()
  try {
    await page.goto(`${origin}/`)
    const result = await page.evaluate(
      (url) =>
        new Promise<ForeignAttempt>((resolve) => {
          const r: ForeignAttempt = { opened: false, closeCode: null, error: false, messages: 0 }
          const ws = new WebSocket(url)
          ws.onopen = () => {
            r.opened = true
            ws.send(new Uint8Array([1, 2, 3]))
          }
          ws.onmessage = () => {
            r.messages++
          }
          ws.onerror = () => {
            r.error = true
          }
          ws.onclose = (ev) => {
            r.closeCode = ev.code
            resolve(r)
          }
          setTimeout(() => resolve(r), 5000)
        }),
      daemonUrl,
    )
    return { ...result, origin }
  } finally {
    await page.close()
    server.closeAllConnections() // the browser keeps its connection alive; close() alone would wait for it
    await new Promise<void>((r) => server.close(() => r()))
  }
}

/** HTTP status the daemon answers a WebSocket upgrade with, for a given Origin (101 = accepted). */
export function upgradeStatus(wsUrl: string, origin: string): Promise<number> {
  const u = new URL(wsUrl)
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: u.hostname,
      port: Number(u.port),
      path: '/',
      timeout: 5000,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        Origin: origin,
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
      },
    })
    req.on('upgrade', (res, socket) => {
      socket.destroy()
      resolve(res.statusCode ?? 0)
    })
    req.on('response', (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('timeout', () => req.destroy(new Error('upgrade timed out')))
    req.on('error', reject)
    req.end()
  })
}
