/**
 * Node entry: connectBridge over `ws` tuned for the data path: arena reads (arena-socket.ts), Buffer
 * messages, zero mask, large sends from reused buffers (pooledSend). Not for browsers.
 */
import { WebSocket } from 'ws'
import { connectBridge, type BridgeClient, type ConnectBridgeOptions } from '../bridge-client.ts'
import type { WebSocketCtor } from '../websocket-like.ts'
import { arenaConnect } from './arena-socket.ts'

export const NodeWebSocket = WebSocket as unknown as WebSocketCtor

/** All-zero masking key: `ws` then sends payloads without copying and the daemon skips unmasking. */
const zeroMask = (mask: Uint8Array): void => {
  mask.fill(0)
}

/**
 * `ws` options of the Node client. Messages arrive as Buffers (views of arena reads, no ArrayBuffer
 * copy); text frames are a protocol error anyway, so UTF-8 validation is skipped. The zero mask is
 * safe here: masking protects HTTP intermediaries from script-chosen bytes, and this client talks
 * straight to a daemon on loopback (RFC 6455 §10.3).
 */
export const NODE_WS_OPTIONS: Record<string, unknown> = {
  createConnection: arenaConnect,
  skipUTF8Validation: true,
  // One message per event-loop task, as in browsers: a socket's handler is registered in a microtask
  // after its connect REPLY, and with large reads the first DATA often arrives in the same read.
  allowSynchronousEvents: false,
  generateMask: zeroMask,
}

export function connectBridgeNode(opts: Omit<ConnectBridgeOptions, 'WebSocketImpl'>): Promise<BridgeClient> {
  return connectBridge({
    ...opts,
    WebSocketImpl: NodeWebSocket,
    fragmentedSend: opts.fragmentedSend ?? true,
    pooledSend: opts.pooledSend ?? true,
    binaryType: 'nodebuffer',
    wsOptions: { ...NODE_WS_OPTIONS, ...opts.wsOptions },
  })
}
