/**
 * A TCP socket for the `ws` client that reads into large arenas instead of Node's fresh 64 KiB buffer
 * per read, and hands `ws` whole WebSocket frames.
 *
 * One read returns everything the kernel has (up to the rest of the arena), so few short-lived buffers
 * reach the garbage collector. Once the HTTP upgrade is done, consecutive reads land back to back in
 * the arena and only complete frames are pushed, as one view over however many reads they took: `ws`
 * then hands every message out as a view (its `consume` copies a message only when it spans two
 * pushed chunks, which used to be most 256 KiB DATA frames). The one copy left is the unfinished
 * frame at the end of an arena, moved to the start of the next.
 */
import net from 'node:net'

/** A delivered view pins its whole arena; 1 MiB bounds that to 4x a 256 KiB DATA frame. */
export const ARENA_BYTES = 1024 * 1024
/** Start a new arena when less than this is left, so reads stay large. */
const MIN_REGION = 128 * 1024
const CRLF2 = Buffer.from('\r\n\r\n')
/**
 * Largest frame assembled here (4x the protocol's 4 MiB frame limit). A longer one switches the socket
 * to pass-through before any buffer is sized for it, and `ws` applies its own maxPayload.
 */
const MAX_FRAMED = 16 * 1024 * 1024

/** `createConnection` for `ws`: same options as `net.connect`, reads go through arenas. */
export function arenaConnect(opts: net.NetConnectOpts & { socketPath?: string }): net.Socket {
  return arenaSocket(opts, ARENA_BYTES)
}

/**
 * Size of the WebSocket frame starting at `at` (header + payload), or 0 if its header is not complete
 * in `buf[at..end)`, or -1 if the length is beyond what one arena could ever hold sensibly.
 */
export function wsFrameSize(buf: Uint8Array, at: number, end: number): number {
  if (end - at < 2) return 0
  const masked = (buf[at + 1]! & 0x80) !== 0
  const len7 = buf[at + 1]! & 0x7f
  const ext = len7 === 126 ? 2 : len7 === 127 ? 8 : 0
  const head = 2 + ext + (masked ? 4 : 0)
  if (end - at < head) return 0
  let len = len7
  if (len7 === 126) len = (buf[at + 2]! << 8) | buf[at + 3]!
  else if (len7 === 127) {
    const hi = ((buf[at + 2]! << 24) >>> 0) + ((buf[at + 3]! << 16) | (buf[at + 4]! << 8) | buf[at + 5]!)
    if (hi !== 0) return -1
    len = ((buf[at + 6]! << 24) >>> 0) + ((buf[at + 7]! << 16) | (buf[at + 8]! << 8) | buf[at + 9]!)
  }
  return head + len
}

/** (http passes a callback as the second argument of createConnection, hence the separate function.) */
export function arenaSocket(opts: net.NetConnectOpts & { socketPath?: string }, arenaBytes: number): net.Socket {
  let arena = Buffer.allocUnsafe(arenaBytes)
  /** Received bytes end here (the next read lands here). */
  let pos = 0
  /** Received bytes from here on are not pushed yet (framed mode only). */
  let pending = 0
  /**
   * 'http': bytes are pushed as they come, until the upgrade response has been read and nothing
   * follows it (the daemon sends nothing before the client's HELLO); then 'framed'. 'raw' if anything
   * else happens (bytes after the response in the same read, an absurd frame length): as before.
   */
  let mode: 'http' | 'framed' | 'raw' = 'http'
  /** Last few bytes pushed in 'http' mode, to find a CRLFCRLF split over two reads. */
  let tail = Buffer.alloc(0)

  const newArena = (keep: number, need: number): void => {
    const next = Buffer.allocUnsafe(Math.max(arenaBytes, need + MIN_REGION))
    if (keep > 0) arena.copy(next, 0, pending, pos)
    arena = next
    pending = 0
    pos = keep
  }

  const region = (): Buffer => {
    if (mode === 'framed') {
      // Move on when little room is left, or as soon as the frame being received cannot fit: then
      // only the part of it received so far is copied.
      const known = wsFrameSize(arena, pending, pos)
      const size = known > 0 && known <= MAX_FRAMED ? known : 0 // (pushFrames turns raw on a longer one)
      if (arena.length - pos < MIN_REGION || (size > 0 && pending + size > arena.length)) newArena(pos - pending, size)
    } else if (arena.length - pos < MIN_REGION) {
      arena = Buffer.allocUnsafe(arenaBytes)
      pos = 0
      pending = 0
    }
    return arena.subarray(pos)
  }

  /** In framed mode: push every complete frame received so far as one view; keep the rest. */
  const pushFrames = (): boolean => {
    let end = pending
    for (;;) {
      const size = wsFrameSize(arena, end, pos)
      if (size < 0 || size > MAX_FRAMED) {
        mode = 'raw' // will not frame it: hand over everything, `ws` will judge
        end = pos
        break
      }
      if (size === 0 || end + size > pos) break
      end += size
    }
    if (end === pending) return true
    const view = arena.subarray(pending, end)
    pending = end
    return socket.push(view)
  }

  const httpRead = (view: Buffer): boolean => {
    const seen = tail.length ? Buffer.concat([tail, view]) : view
    const at = seen.indexOf(CRLF2)
    if (at >= 0) mode = at + CRLF2.length === seen.length ? 'framed' : 'raw'
    else tail = Buffer.from(seen.subarray(Math.max(0, seen.length - 3)))
    if (mode !== 'http') tail = Buffer.alloc(0)
    pending = pos
    return socket.push(view)
  }

  const connectOpts = { ...opts, path: opts.socketPath } as net.NetConnectOpts
  const socket: net.Socket = net.connect({
    ...connectOpts,
    onread: {
      buffer: region,
      callback: (n: number, buf: Uint8Array): boolean => {
        const view = Buffer.from(buf.buffer, buf.byteOffset, n)
        if (buf.buffer === arena.buffer) pos = buf.byteOffset - arena.byteOffset + n
        else return socket.push(view) // not our region (cannot happen with onread.buffer a function)
        // push() keeps the stream's order (http upgrade, ws unshift) and backpressure (false → readStop).
        if (mode === 'framed') return pushFrames()
        if (mode === 'http') return httpRead(view)
        pending = pos
        return socket.push(view)
      },
    },
  } as net.NetConnectOpts)
  return socket
}
