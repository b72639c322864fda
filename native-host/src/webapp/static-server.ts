/**
 * A tiny static file server for the built web UI on 127.0.0.1. GET/HEAD only, no directory listing,
 * no traversal (the resolved path must stay inside the root), explicit MIME types, and headers that
 * keep the page to itself (no Referer, no framing, a strict CSP that still allows the daemon's ws://).
 */
import { createReadStream } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, resolve, sep } from 'node:path'

export const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
}

export interface StaticServerOptions {
  root: string
  host?: string
  port?: number
  /** Extra in-memory files, e.g. { '/config.json': '{"daemonUrl":…}' }. */
  extra?: Record<string, string>
  /** Extra CSP connect-src entries (the daemon's ws:// URL); read per request, so it may change. */
  connectSrc?: string[] | (() => string[])
  /**
   * Same-origin POST endpoints (e.g. '/session'): get the body (at most 4 KiB) and answer JSON.
   * Only requests whose Origin is this server's own origin reach them.
   */
  post?: Record<string, (body: string) => { status: number; json: object }>
}

const MAX_POST_BYTES = 4096

export interface StaticServer {
  port: number
  url: string
  close(): Promise<void>
}

/** Maps a request path to a file under root, or null when it would leave the root or is malformed. */
export function resolveUnder(root: string, urlPath: string): string | null {
  let p: string
  try {
    p = decodeURIComponent(urlPath.split('?')[0]!.split('#')[0]!)
  } catch {
    return null
  }
  if (p.includes('\0') || p.includes('\\')) return null
  if (p.endsWith('/')) p += 'index.html'
  const abs = resolve(root, `.${p}`)
  const base = resolve(root)
  return abs === base || abs.startsWith(base + sep) ? abs : null
}

export async function startStaticServer(opts: StaticServerOptions): Promise<StaticServer> {
  const host = opts.host ?? '127.0.0.1'
  const realRoot = await realpath(opts.root)
  const csp = () =>
    [
      "default-src 'self'",
      // WebAssembly compiles (not eval): the hash worker's SHA-1 (packages/ui/src/worker/sha1-worker.ts)
      "script-src 'self' 'wasm-unsafe-eval'",
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data: blob:",
      `connect-src 'self' ${(typeof opts.connectSrc === 'function' ? opts.connectSrc() : (opts.connectSrc ?? [])).join(' ')}`.trim(),
      // the built-in player reads streams from the daemon's HTTP port (the same port as its ws://)
      `media-src 'self' ${(typeof opts.connectSrc === 'function' ? opts.connectSrc() : (opts.connectSrc ?? []))
        .filter((u) => u.startsWith('ws://'))
        .map((u) => `http://${u.slice(5)}`)
        .join(' ')}`.trim(),
      "worker-src 'self' blob:",
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "form-action 'none'",
    ].join('; ')

  const server = http.createServer(async (req, res) => {
    const send = (code: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(code, {
        'Content-Type': type,
        'Content-Length': Buffer.byteLength(body),
        'Cache-Control': 'no-store',
      })
      res.end(req.method === 'HEAD' ? undefined : body)
    }
    // DNS rebinding: a foreign name resolving to 127.0.0.1 must not reach the page or /session.
    const hostHeader = (req.headers.host ?? '').toLowerCase()
    if (hostHeader !== `127.0.0.1:${port}` && hostHeader !== `localhost:${port}`) return send(421, 'foreign Host')
    if (req.method === 'POST') return handlePost(req, res, hostHeader, send)
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed')
    const common = {
      'Content-Security-Policy': csp(),
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Cross-Origin-Opener-Policy': 'same-origin',
    }
    const urlPath = (req.url ?? '/').split('?')[0]!
    const extra = opts.extra?.[urlPath]
    if (extra !== undefined) {
      res.writeHead(200, {
        ...common,
        'Content-Type': MIME[extname(urlPath)] ?? 'application/octet-stream',
        'Cache-Control': 'no-store',
      })
      return res.end(req.method === 'HEAD' ? undefined : extra)
    }
    const file = resolveUnder(realRoot, urlPath)
    if (!file) return send(400, 'bad path')
    try {
      // Symlinks must not lead out of the root either.
      const real = await realpath(file)
      if (real !== realRoot && !real.startsWith(realRoot + sep)) return send(404, 'not found')
      const st = await stat(real)
      if (!st.isFile()) return send(404, 'not found')
      const type = MIME[extname(real).toLowerCase()] ?? 'application/octet-stream'
      // Hashed assets can be cached; the HTML must always be fresh. So must worker scripts: a worker
      // runs under the CSP sent with its script, whose connect-src names this run's daemon port, and a
      // cached copy would keep a page from reaching the daemon after a restart.
      const cache = /-worker-[^/\\]*\.js$/.test(real)
        ? 'no-store'
        : real.includes(`${sep}assets${sep}`)
          ? 'public, max-age=31536000, immutable'
          : 'no-cache'
      res.writeHead(200, { ...common, 'Content-Type': type, 'Content-Length': st.size, 'Cache-Control': cache })
      if (req.method === 'HEAD') return res.end()
      createReadStream(real)
        .on('error', () => res.destroy())
        .pipe(res)
    } catch {
      send(404, 'not found')
    }
  })
  function handlePost(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    hostHeader: string,
    send: (code: number, body: string) => void,
  ): void {
    const route = opts.post?.[(req.url ?? '/').split('?')[0]!]
    if (!route) return send(405, 'method not allowed')
    // A cross-site form or fetch carries its own Origin: only the page itself may post.
    if (req.headers.origin !== `http://${hostHeader}`) return send(403, 'foreign Origin')
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > MAX_POST_BYTES) {
        send(413, 'too large')
        req.destroy()
      } else chunks.push(c)
    })
    req.on('error', () => {}) // the browser went away mid-POST (or we destroyed an oversize one): no one to answer
    req.on('end', () => {
      if (size > MAX_POST_BYTES) return
      const r = route(Buffer.concat(chunks).toString('utf8'))
      const body = JSON.stringify(r.json)
      res.writeHead(r.status, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': Buffer.byteLength(body),
        'Cache-Control': 'no-store',
        'Referrer-Policy': 'no-referrer',
      })
      res.end(body)
    })
  }

  let port = 0
  await new Promise<void>((ok, fail) => {
    server.once('error', fail)
    server.listen({ host, port: opts.port ?? 0 }, () => ok())
  })
  port = (server.address() as AddressInfo).port
  return {
    port,
    url: `http://${host}:${port}/`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections()
        server.close(() => ok())
      }),
  }
}
