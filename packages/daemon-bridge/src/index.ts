export * from './protocol.ts'
export * from './frame-codec.ts'
export {
  BridgeClient,
  connectBridge,
  type BridgeCloseReason,
  type ConnectBridgeOptions,
  type Reply,
  type SendMode,
} from './bridge-client.ts'
export { BridgeTcpSocket } from './bridge-tcp-socket.ts'
export type { WebSocketCtor, WebSocketLike } from './websocket-like.ts'
export { BridgeDataPlane, BridgeDataPlaneTorrent } from './bridge-data-plane.ts'
