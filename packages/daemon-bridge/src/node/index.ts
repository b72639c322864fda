/** Node entry: connectBridge with the `ws` WebSocket (bufferutil masks fast, fragmented sends). Not for browsers. */
import { WebSocket } from 'ws'
import { connectBridge, type BridgeClient, type ConnectBridgeOptions } from '../bridge-client.ts'
import type { WebSocketCtor } from '../websocket-like.ts'

export const NodeWebSocket = WebSocket as unknown as WebSocketCtor

export function connectBridgeNode(opts: Omit<ConnectBridgeOptions, 'WebSocketImpl'>): Promise<BridgeClient> {
  return connectBridge({ ...opts, WebSocketImpl: NodeWebSocket, fragmentedSend: true })
}
