import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import tls from 'node:tls'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { echoServer, testDaemon, type TestDaemon } from './helpers.ts'

let d: TestDaemon
let dir: string
let server: tls.Server
beforeAll(async () => {
  d = await testDaemon()
  dir = await mkdtemp(join(tmpdir(), 'tidepool-tls-'))
  // A self-signed certificate: the daemon verifies certificates, so it must refuse this one.
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
    ],
    { stdio: 'ignore' },
  )
  server = tls.createServer(
    { key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) },
    (s) => s.pipe(s),
  )
  server.on('tlsClientError', () => {})
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
})
afterAll(async () => {
  server.close()
  await d.stop()
  await rm(dir, { recursive: true, force: true })
})

describe('bridge TLS connect', () => {
  it('refuses a self-signed certificate with access, promptly', async () => {
    const c = await d.connect()
    const port = (server.address() as AddressInfo).port
    const t0 = Date.now()
    await expect(c.net.connect({ host: '127.0.0.1', port, tls: true, servername: 'localhost' })).rejects.toMatchObject({
      code: 'access',
    })
    expect(Date.now() - t0).toBeLessThan(3000)
    expect(d.daemon.stats().connectsInFlight).toBe(0)
  })

  it('fails (does not hang) when the server does not speak TLS', async () => {
    const echo = await echoServer()
    const c = await d.connect()
    const err = await c.net
      .connect({ host: '127.0.0.1', port: echo.port, tls: true })
      .catch((e: { code?: string }) => e)
    expect(err).toMatchObject({ name: 'IoError' })
    await echo.close()
  })
})
