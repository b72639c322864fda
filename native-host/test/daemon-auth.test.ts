import http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { connectBridge, decodeFrame, encodeFrame, Kind, Op } from '@tidepool/daemon-bridge'
import { TOKEN, testDaemon, WS, type TestDaemon } from './helpers.ts'

let d: TestDaemon
beforeAll(async () => {
  d = await testDaemon()
})
afterAll(async () => {
  await d.stop()
})

/** Raw upgrade request; resolves with the HTTP status (101 = accepted). */
function upgradeStatus(port: number, headers: Record<string, string>): Promise<number> {
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
    req.on('upgrade', (res, socket) => {
      socket.destroy()
      resolve(res.statusCode ?? 0)
    })
    req.on('response', (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', reject)
    req.end()
  })
}

describe('daemon auth', () => {
  it('refuses a foreign Origin and a foreign Host at the upgrade with 403; accepts good ones', async () => {
    const port = d.daemon.port
    expect(await upgradeStatus(port, { Host: `127.0.0.1:${port}`, Origin: 'https://evil.example' })).toBe(403)
    expect(await upgradeStatus(port, { Host: `127.0.0.1:${port}`, Origin: 'null' })).toBe(403)
    expect(await upgradeStatus(port, { Host: `evil.example:${port}` })).toBe(403)
    expect(await upgradeStatus(port, { Host: `127.0.0.1:${port + 1}` })).toBe(403)
    expect(await upgradeStatus(port, { Host: `127.0.0.1:${port}`, Origin: 'chrome-extension://good' })).toBe(101)
    expect(await upgradeStatus(port, { Host: `localhost:${port}` })).toBe(101)
    expect(d.daemon.stats().refusedUpgrades).toBeGreaterThanOrEqual(4)
  })

  it('connectBridge rejects with auth on a wrong or missing token and on a foreign origin', async () => {
    await expect(connectBridge({ url: d.daemon.url, token: 'b'.repeat(64), WebSocketImpl: WS })).rejects.toMatchObject({
      code: 'auth',
    })
    await expect(connectBridge({ url: d.daemon.url, token: '', WebSocketImpl: WS })).rejects.toMatchObject({
      code: 'auth',
    })
    await expect(
      connectBridge({ url: d.daemon.url, token: TOKEN, origin: 'https://evil.example', WebSocketImpl: WS }),
    ).rejects.toMatchObject({ code: 'auth' })
    const ok = await connectBridge({
      url: d.daemon.url,
      token: TOKEN,
      origin: 'chrome-extension://good',
      WebSocketImpl: WS,
    })
    expect(ok.limits.maxConnectsInFlight).toBe(30)
    ok.close()
  })

  it('answers an op before hello with an auth error and closes with 4001', async () => {
    const ws = new WebSocket(d.daemon.url)
    await new Promise((r) => ws.once('open', r))
    const frames: Array<{ kind: number; meta: unknown }> = []
    ws.on('message', (m: Buffer) => {
      const r = decodeFrame(m)
      if (r.ok) frames.push({ kind: r.frame.kind, meta: r.frame.meta })
    })
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)))
    ws.send(encodeFrame(Kind.REQUEST, 7, Op.fsList, { root: 'scratch', path: '' }))
    expect(await closed).toBe(4001)
    expect(frames).toEqual([{ kind: Kind.ERROR, meta: { code: 'auth', message: 'the first frame must be hello' } }])
  })

  it('closes a connection that sends no hello within helloTimeoutMs', async () => {
    const { startDaemon } = await import('../src/index.ts')
    const quick = await startDaemon({ token: TOKEN, roots: {}, helloTimeoutMs: 150 })
    const ws = new WebSocket(quick.url)
    const t0 = Date.now()
    const code = await new Promise<number>((r) => ws.once('close', (c) => r(c)))
    expect(code).toBe(4001)
    expect(Date.now() - t0).toBeLessThan(3000)
    await quick.close()
  })

  it('onClose reports why the connection ended', async () => {
    const c = await connectBridge({ url: d.daemon.url, token: TOKEN, WebSocketImpl: WS })
    const reasons: string[] = []
    c.onClose = (r) => reasons.push(r)
    c.close()
    expect(reasons).toEqual(['closed-by-client'])
    await expect(c.files.stat('scratch', '')).rejects.toMatchObject({ code: 'closed' })
  })
})
