/**
 * A comlink Endpoint over a chrome.runtime Port, so extension pages (popup, tab) can call the engine
 * worker that lives in the offscreen document. Messages are JSON-encoded (see wire-encoding.ts).
 */
import type { Endpoint } from 'comlink'
import { decode, encode } from './wire-encoding.ts'

/** The part of chrome.runtime.Port this needs (lets tests use a fake pair). */
export interface PortLike {
  postMessage(message: unknown): void
  onMessage: { addListener(fn: (message: unknown) => void): void; removeListener(fn: (message: unknown) => void): void }
  onDisconnect: { addListener(fn: () => void): void }
}

export function portEndpoint(port: PortLike): Endpoint & { closed(): boolean } {
  const wrapped = new Map<EventListenerOrEventListenerObject, (m: unknown) => void>()
  let closed = false
  port.onDisconnect.addListener(() => {
    closed = true
  })
  return {
    closed: () => closed,
    postMessage(message: unknown) {
      // A closed port throws; comlink would surface that as an unhandled error in the caller.
      if (!closed) port.postMessage(encode(message))
    },
    addEventListener(_type: string, listener: EventListenerOrEventListenerObject) {
      const fn = (m: unknown) => {
        const ev = { data: decode(m) } as MessageEvent
        if (typeof listener === 'function') listener(ev)
        else listener.handleEvent(ev)
      }
      wrapped.set(listener, fn)
      port.onMessage.addListener(fn)
    },
    removeEventListener(_type: string, listener: EventListenerOrEventListenerObject) {
      const fn = wrapped.get(listener)
      if (fn) port.onMessage.removeListener(fn)
      wrapped.delete(listener)
    },
  }
}
