import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startWebApp, type RunningWebApp } from '../cli/app.ts'

/** Resolves with the HTTP status of a WebSocket upgrade (101 when accepted). */
function upgradeStatus(url: string, origin?: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, origin ? { origin } : {})
    ws.on('open', () => {
      ws.close()
      resolve(101)
    })
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0)
      ws.terminate()
    })
    ws.on('error', () => resolve(0))
  })
}

/** Raw request so the test controls Host and Origin (fetch forbids setting Host). */
function request(
  port: number,
  o: { method?: string; path?: string; host?: string; origin?: string; body?: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: o.host ?? `127.0.0.1:${port}` }
    if (o.origin) headers.origin = o.origin
    if (o.body !== undefined) headers['content-type'] = 'application/json'
    const req = http.request(
      { host: '127.0.0.1', port, method: o.method ?? 'GET', path: o.path ?? '/', headers },
      (res) => {
        let body = ''
        res.on('data', (c) => (body += c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      },
    )
    req.on('error', reject)
    req.end(o.body)
  })
}

const nonceOf = (url: string): string => new URLSearchParams(new URL(url).hash.slice(1)).get('login') ?? ''

describe('local web app', () => {
  let dir: string
  let app: RunningWebApp
  let clock = 1_000_000
  const warnings: string[] = []
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tp-webapp-'))
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>t</title>')
    app = await startWebApp({
      port: 0,
      out: join(dir, 'out'),
      uiDir: dir,
      now: () => clock,
      onWarning: (m) => warnings.push(m),
    })
  })
  afterAll(async () => {
    await app.close()
    await rm(dir, { recursive: true, force: true })
  })

  const port = () => Number(new URL(app.origin).port)
  const login = (nonce: string, origin = app.origin) =>
    request(port(), { method: 'POST', path: '/session', origin, body: JSON.stringify({ nonce }) })

  it('prints a login link with a single-use nonce, never the token; the nonce buys the token once', async () => {
    expect(app.url).toMatch(new RegExp(`^${app.origin}/#login=[0-9a-f]{48}$`))
    const first = await login(nonceOf(app.url))
    expect(first.status).toBe(200)
    const { token } = JSON.parse(first.body) as { token: string }
    expect(token).toMatch(/^[0-9a-f]{64}$/)
    expect(app.url).not.toContain(token)
    const again = await login(nonceOf(app.url))
    expect(again.status).toBe(403)
    expect(JSON.parse(again.body)).toMatchObject({ error: 'used' })
    expect(warnings).toHaveLength(1) // a second use may be someone racing the browser: the terminal says so
    expect((await login('f'.repeat(48))).status).toBe(403)
    // The token really opens the daemon (hello from the page origin).
    const { connectBridge } = await import('@tidepool/daemon-bridge')
    class PageWs extends WebSocket {
      constructor(url: string) {
        super(url, { origin: app.origin })
      }
    }
    const c = await connectBridge({ url: app.daemonUrl, token, WebSocketImpl: PageWs as never })
    expect(c.files.roots()).toEqual(['downloads'])
    c.close()
  })

  it('an expired link fails with a clear message; a fresh link works', async () => {
    const old = app.newLoginUrl()
    clock += 61_000
    const r = await login(nonceOf(old))
    expect(r.status).toBe(403)
    expect(JSON.parse(r.body)).toMatchObject({ error: 'expired', message: expect.stringMatching(/expired.*Enter/) })
    expect((await login(nonceOf(app.newLoginUrl()))).status).toBe(200)
  })

  it('refuses /session from another Origin or without one, and any request with a foreign Host (DNS rebinding)', async () => {
    const n = nonceOf(app.newLoginUrl())
    expect((await login(n, 'https://evil.example')).status).toBe(403)
    expect(
      (await request(port(), { method: 'POST', path: '/session', body: JSON.stringify({ nonce: n }) })).status,
    ).toBe(403)
    const host = `evil.example:${port()}`
    expect((await request(port(), { host })).status).toBe(421)
    expect(
      (
        await request(port(), {
          method: 'POST',
          path: '/session',
          host,
          origin: `http://${host}`,
          body: JSON.stringify({ nonce: n }),
        })
      ).status,
    ).toBe(421)
    expect((await request(port(), { host: `localhost:${port()}` })).status).toBe(200)
    expect((await login(n)).status).toBe(200) // the refused attempts did not burn the nonce
  })

  it('uses a fresh daemon token per run', async () => {
    const other = await startWebApp({ port: 0, out: join(dir, 'out2'), uiDir: dir })
    try {
      const a = JSON.parse((await login(nonceOf(app.newLoginUrl()))).body).token
      const b = JSON.parse(
        (
          await request(Number(new URL(other.origin).port), {
            method: 'POST',
            path: '/session',
            origin: other.origin,
            body: JSON.stringify({ nonce: nonceOf(other.url) }),
          })
        ).body,
      ).token
      expect(a).toMatch(/^[0-9a-f]{64}$/)
      expect(b).toMatch(/^[0-9a-f]{64}$/)
      expect(a).not.toBe(b)
    } finally {
      await other.close()
    }
  })

  it('serves the page with no-referrer and a CSP naming the daemon', async () => {
    expect(app.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const res = await fetch(`${app.origin}/`)
    expect(res.status).toBe(200)
    expect(res.headers.get('referrer-policy')).toBe('no-referrer')
    expect(res.headers.get('content-security-policy')).toContain(app.daemonUrl)
  })

  it('tells the page where the daemon is', async () => {
    const cfg = (await (await fetch(`${app.origin}/config.json`)).json()) as { daemonUrl: string }
    expect(cfg.daemonUrl).toBe(app.daemonUrl)
    expect(cfg.daemonUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/)
  })

  it('the daemon admits the page origin and refuses other origins and origin-less clients', async () => {
    expect(await upgradeStatus(app.daemonUrl, app.origin)).toBe(101)
    expect(await upgradeStatus(app.daemonUrl, 'http://127.0.0.1:1')).toBe(403)
    expect(await upgradeStatus(app.daemonUrl, 'https://evil.example')).toBe(403)
    expect(await upgradeStatus(app.daemonUrl)).toBe(403)
  })
})
