/**
 * Node entry: connectBridge over `ws` tuned for the data path: arena reads (arena-socket.ts), Buffer
 * messages, zero mask, large sends from reused buffers (send mode 'pool'). Not for browsers.
 */
import { WebSocket } from 'ws'
import { connectBridge, type BridgeClient, type ConnectBridgeOptions } from '../bridge-client.ts'
import type { WebSocketCtor } from '../websocket-like.ts'
import { arenaConnect } from './arena-socket.ts'
import { nodeAead } from './aead-node.ts'
import { type CompanionSocketOptions, connectCompanion } from '../secure/companion-client.ts'
import type { SendMode } from '../bridge-client.ts'

export const NodeWebSocket = WebSocket as unknown as WebSocketCtor

/** All-zero masking key: `ws` then sends payloads without copying and the daemon skips unmasking. */
const zeroMask = (mask: Uint8Array): void => {
  mask.fill(0)
}

/**
 * `ws` options of the Node client. Messages arrive as Buffers (views of arena reads, no ArrayBuffer
 * copy); text frames are a protocol error anyway, so UTF-8 validation is skipped.
 */
export const NODE_WS_OPTIONS: Record<string, unknown> = {
  skipUTF8Validation: true,
  // One message per event-loop task, as in browsers: a socket's handler is registered in a microtask
  // after its connect REPLY, and with large reads the first DATA often arrives in the same read.
  allowSynchronousEvents: false,
}

/**
 * Options that depend on where the daemon is. Arena reads need a plain TCP socket (`ws:`). The zero
 * mask only for a loopback daemon: masking protects HTTP intermediaries from script-chosen bytes
 * (RFC 6455 §10.3), and there is none between this process and 127.0.0.1.
 */
export function nodeWsOptionsFor(url: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...NODE_WS_OPTIONS }
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return out // connectBridge reports the bad URL
  }
  if (u.protocol === 'ws:') out.createConnection = arenaConnect
  if (['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) out.generateMask = zeroMask
  return out
}

export function connectBridgeNode(opts: Omit<ConnectBridgeOptions, 'WebSocketImpl'>): Promise<BridgeClient> {
  return connectBridge({
    ...opts,
    WebSocketImpl: NodeWebSocket,
    sendMode: opts.sendMode ?? 'pool',
    binaryType: 'nodebuffer',
    wsOptions: { ...nodeWsOptionsFor(opts.url), ...opts.wsOptions },
  })
}

export { nodeAead } from './aead-node.ts'
/**
 * connectCompanion tuned for Node: OpenSSL's ChaCha20-Poly1305, Buffer messages, arena reads, pooled
 * sends (the channel seals each frame into a new buffer, so the pool's buffer comes back at once).
 */
export function connectCompanionNode(
  opts: Omit<CompanionSocketOptions, 'WebSocketImpl' | 'aead'> & { sendMode?: SendMode },
): Promise<BridgeClient> {
  const ws = nodeWsOptionsFor(opts.paired.url)
  delete ws.generateMask // masking stays on off loopback, and costs little next to the cipher
  return connectCompanion({
    ...opts,
    WebSocketImpl: NodeWebSocket,
    aead: nodeAead,
    binaryType: 'nodebuffer',
    sendMode: opts.sendMode ?? 'pool',
    wsOptions: { ...ws, ...opts.wsOptions },
  })
}
