import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveUnder, startStaticServer, type StaticServer } from './static-server.ts'

// Raw requests: fetch() would normalise "/../" away before sending.
function get(
  port: number,
  path: string,
  method = 'GET',
): Promise<{ status: number; type: string; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((ok, fail) => {
    const req = http.request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d) => (body += d))
      res.on('end', () =>
        ok({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body, headers: res.headers }),
      )
    })
    req.on('error', fail)
    req.end()
  })
}

describe('static server', () => {
  let dir: string
  let outside: string
  let srv: StaticServer
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tp-static-'))
    outside = await mkdtemp(join(tmpdir(), 'tp-outside-'))
    await writeFile(join(outside, 'secret.txt'), 'secret')
    await mkdir(join(dir, 'assets'))
    await writeFile(join(dir, 'index.html'), '<!doctype html><p>hi')
    await writeFile(join(dir, 'assets', 'a.js'), 'export {}')
    await writeFile(join(dir, 'assets', 'engine-worker-AbC123.js'), 'export {}')
    await symlink(join(outside, 'secret.txt'), join(dir, 'link.txt'))
    srv = await startStaticServer({
      root: dir,
      extra: { '/config.json': '{"daemonUrl":"ws://127.0.0.1:1"}' },
      connectSrc: ['ws://127.0.0.1:1'],
    })
  })
  afterAll(async () => {
    await srv.close()
    await rm(dir, { recursive: true, force: true })
    await rm(outside, { recursive: true, force: true })
  })

  it('serves index.html and assets with the right MIME types and headers', async () => {
    const r = await get(srv.port, '/')
    expect(r.status).toBe(200)
    expect(r.type).toBe('text/html; charset=utf-8')
    expect(r.body).toContain('<p>hi')
    expect(r.headers['referrer-policy']).toBe('no-referrer')
    expect(r.headers['content-security-policy']).toContain("connect-src 'self' ws://127.0.0.1:1")
    // the built-in player reads streams from the daemon's HTTP port
    expect(r.headers['content-security-policy']).toContain("media-src 'self' http://127.0.0.1:1")
    expect((await get(srv.port, '/assets/a.js')).type).toBe('text/javascript; charset=utf-8')
    expect((await get(srv.port, '/config.json')).body).toContain('daemonUrl')
  })

  it("worker scripts are never cached: their CSP names this run's daemon port", async () => {
    expect((await get(srv.port, '/assets/a.js')).headers['cache-control']).toContain('immutable')
    const w = await get(srv.port, '/assets/engine-worker-AbC123.js')
    expect(w.headers['cache-control']).toBe('no-store')
    expect(w.headers['content-security-policy']).toContain('ws://127.0.0.1:1')
  })

  it('refuses traversal, encoded traversal, symlinks out of the root, directories and other methods', async () => {
    expect((await get(srv.port, `/../${outside.split('/').pop()}/secret.txt`)).status).not.toBe(200)
    expect((await get(srv.port, '/%2e%2e/%2e%2e/etc/passwd')).status).toBe(400)
    expect((await get(srv.port, '/..%5c..%5cetc/passwd')).status).toBe(400)
    expect((await get(srv.port, '/link.txt')).status).toBe(404)
    expect((await get(srv.port, '/assets')).status).toBe(404)
    expect((await get(srv.port, '/nope.js')).status).toBe(404)
    expect((await get(srv.port, '/', 'POST')).status).toBe(405)
  })

  it('resolveUnder keeps paths inside the root', () => {
    expect(resolveUnder('/srv/ui', '/a/b.js')).toBe('/srv/ui/a/b.js')
    expect(resolveUnder('/srv/ui', '/')).toBe('/srv/ui/index.html')
    expect(resolveUnder('/srv/ui', '/../x')).toBeNull()
    expect(resolveUnder('/srv/ui', '/%2e%2e/x')).toBeNull()
    expect(resolveUnder('/srv/ui', '/%00')).toBeNull()
    expect(resolveUnder('/srv/ui', '/%E0%A4%A')).toBeNull()
  })
})
