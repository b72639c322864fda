import { open } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import mime from 'mime-types'
import rangeParser from 'range-parser'
import type { PublishedFile, StreamRegistry } from './stream-registry.ts'
import { refuseUpgrade, type UpgradePolicy } from './upgrade-check.ts'

/**
 * Bytes asked of the client at a time: the first ask small (the first byte needs only its own
 * piece), doubling up to CHUNK (one round trip per 512 KiB costs the engine next to nothing).
 */
const FIRST_CHUNK = 64 * 1024
const CHUNK = 512 * 1024
const PREFIX = '/stream/'

function contentType(name: string): string {
  const t = mime.lookup(name)
  // browsers play Matroska as WebM when told so; 'video/x-matroska' they refuse outright
  if (t === 'video/x-matroska') return 'video/webm'
  return t || 'application/octet-stream'
}

function plain(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

/**
 * GET/HEAD /stream/<secret> (docs/daemon-protocol.md §4.7): a published file with Range support.
 * Host and Origin are checked as for the WebSocket upgrade; before each chunk is read the publishing
 * client is asked for it (it answers once the bytes are verified on disk). Returns false for paths
 * that are not streams.
 */
export function serveStream(
  req: IncomingMessage,
  res: ServerResponse,
  registry: StreamRegistry,
  policy: UpgradePolicy,
): boolean {
  const url = req.url ?? ''
  if (!url.startsWith(PREFIX)) return false
  // Media players (VLC, mpv) send no Origin: the secret is what guards the file, so no-Origin is fine here.
  const why = refuseUpgrade(req, { ...policy, allowNoOrigin: true })
  if (why) {
    plain(res, 403, why)
    return true
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    plain(res, 405, 'GET or HEAD only', { Allow: 'GET, HEAD' })
    return true
  }
  const secret = url.slice(PREFIX.length).split(/[?#]/)[0]!
  const file = registry.get(secret)
  if (!file) {
    plain(res, 404, 'no such stream')
    return true
  }
  const size = file.length
  let start = 0
  let end = size - 1
  let status = 200
  const range = req.headers.range
  if (range !== undefined) {
    const r = rangeParser(size, range, { combine: true })
    if (r === -1 || (Array.isArray(r) && r.length === 0) || size === 0) {
      plain(res, 416, 'range not satisfiable', { 'Content-Range': `bytes */${size}` })
      return true
    }
    // a malformed header is ignored (RFC 9110 §14.2); of several ranges only the first is served
    if (Array.isArray(r) && r.type === 'bytes') {
      start = r[0]!.start
      end = r[0]!.end
      status = 206
    }
  }
  const headers: Record<string, string | number> = {
    'Content-Type': contentType(file.name),
    'Content-Length': Math.max(0, end - start + 1),
    'Accept-Ranges': 'bytes',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  }
  if (status === 206) headers['Content-Range'] = `bytes ${start}-${end}/${size}`
  if (req.method === 'HEAD' || size === 0) {
    res.writeHead(status, headers)
    res.end()
    return true
  }
  void pump(res, file, start, end, status, headers)
  return true
}

/** Asks for and sends [start, end] chunk by chunk, following the reader's pace (backpressure). */
async function pump(
  res: ServerResponse,
  file: PublishedFile,
  start: number,
  end: number,
  status: number,
  headers: Record<string, string | number>,
): Promise<void> {
  let cancel: (() => void) | undefined
  let gone = false
  res.on('close', () => {
    gone = true
    cancel?.()
  })
  let fh: Awaited<ReturnType<typeof open>> | undefined
  try {
    let chunk = FIRST_CHUNK
    for (let pos = start; pos <= end && !gone; ) {
      const len = Math.min(chunk, end + 1 - pos)
      chunk = Math.min(CHUNK, chunk * 2)
      const n = file.need(pos, len)
      // the last ask stands for this reader: when it goes, the client hears of it
      cancel = n.cancel
      await n.ready
      if (gone) return
      fh ??= await open(file.absPath, 'r')
      if (!res.headersSent) res.writeHead(status, headers)
      const buf = Buffer.allocUnsafe(len)
      const { bytesRead } = await fh.read(buf, 0, len, pos)
      if (bytesRead < len) throw new Error(`file shorter than published (read ${bytesRead} of ${len} at ${pos})`)
      pos += len
      if (!res.write(buf))
        await new Promise<void>((r) => {
          res.once('drain', r)
          res.once('close', r)
        })
    }
    if (!gone) res.end()
  } catch (err) {
    const e = err as { code?: string; message?: string }
    if (gone) return
    if (!res.headersSent) plain(res, e.code === 'timeout' ? 504 : 503, `stream not ready: ${e.message ?? String(err)}`)
    // mid-body there is no way to say so but cutting the response short
    else res.destroy()
  } finally {
    await fh?.close().catch(() => undefined)
  }
}
