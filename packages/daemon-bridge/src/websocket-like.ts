/**
 * The subset of the WHATWG WebSocket the client uses. Satisfied by the browser/worker `WebSocket` and
 * by the `ws` package in Node, so the client runs unchanged in both.
 */
export interface WebSocketLike {
  binaryType: string
  readonly readyState: number
  readonly bufferedAmount: number
  send(data: Uint8Array | ArrayBuffer): void
  /** Node `ws` only: `options.fin === false` sends a fragment of a message (send mode 'fragments'). */
  send(data: Uint8Array | ArrayBuffer, options: { binary?: boolean; fin?: boolean }): void
  /** Node `ws` only: `cb` runs once the bytes have been written (send mode 'pool'). */
  send(data: Uint8Array | ArrayBuffer, options: { binary?: boolean; fin?: boolean }, cb: (err?: Error) => void): void
  close(code?: number, reason?: string): void
  onopen: ((ev: unknown) => void) | null
  onmessage: ((ev: { data: unknown }) => void) | null
  onclose: ((ev: { code: number; reason: string }) => void) | null
  onerror: ((ev: unknown) => void) | null
}

/**
 * A WebSocket constructor. The third argument carries Node `ws` options (`origin`,
 * `perMessageDeflate`, `maxPayload`); a browser WebSocket ignores it.
 */
export type WebSocketCtor = new (url: string, protocols?: string[], options?: Record<string, unknown>) => WebSocketLike
