/**
 * A TCP socket for the `ws` client that reads into large arenas instead of Node's fresh 64 KiB buffer
 * per read. One read then returns everything the kernel has (up to the rest of the arena), so `ws`
 * hands out most messages as views of the read (its `consume` copies only a message that spans two
 * reads) and far fewer short-lived buffers reach the garbage collector.
 */
import net from 'node:net'

/** A delivered view pins its whole arena; 1 MiB bounds that to 4x a 256 KiB DATA frame. */
export const ARENA_BYTES = 1024 * 1024
/** Start a new arena when less than this is left, so reads stay large. */
const MIN_REGION = 128 * 1024

/** `createConnection` for `ws`: same options as `net.connect`, reads go through arenas. */
export function arenaConnect(opts: net.NetConnectOpts & { socketPath?: string }): net.Socket {
  return arenaSocket(opts, ARENA_BYTES)
}

/** (http passes a callback as the second argument of createConnection, hence the separate function.) */
export function arenaSocket(opts: net.NetConnectOpts & { socketPath?: string }, arenaBytes: number): net.Socket {
  let arena = Buffer.allocUnsafe(arenaBytes)
  let pos = 0
  const region = (): Buffer => {
    if (arena.length - pos < MIN_REGION) {
      arena = Buffer.allocUnsafe(arenaBytes)
      pos = 0
    }
    return arena.subarray(pos)
  }
  const connectOpts = { ...opts, path: opts.socketPath } as net.NetConnectOpts
  const socket: net.Socket = net.connect({
    ...connectOpts,
    onread: {
      buffer: region,
      callback: (n: number, buf: Uint8Array): boolean => {
        const view = Buffer.from(buf.buffer, buf.byteOffset, n)
        if (buf.buffer === arena.buffer) pos = buf.byteOffset - arena.byteOffset + n
        // push() keeps the stream's order (http upgrade, ws unshift) and backpressure (false → readStop).
        return socket.push(view)
      },
    },
  } as net.NetConnectOpts)
  return socket
}
