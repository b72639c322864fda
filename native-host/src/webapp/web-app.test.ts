import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startWebApp, type RunningWebApp } from '../cli/app.ts'

/** Resolves with the HTTP status of a WebSocket upgrade (101 when accepted). */
function upgradeStatus(url: string, origin?: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, origin ? { origin } : {})
    ws.on('open', () => { ws.close(); resolve(101) })
    ws.on('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0); ws.terminate() })
    ws.on('error', () => resolve(0))
  })
}

describe('local web app', () => {
  let dir: string
  let app: RunningWebApp
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tp-webapp-'))
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>t</title>')
    app = await startWebApp({ port: 0, out: join(dir, 'out'), uiDir: dir, tokenFile: join(dir, 'token') })
  })
  afterAll(async () => {
    await app.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('prints a link with the token in the fragment only', async () => {
    const token = (await readFile(join(dir, 'token'), 'utf8')).trim()
    expect(app.url).toBe(`${app.origin}/#token=${token}`)
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
