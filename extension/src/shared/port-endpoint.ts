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

/** Waits between attempts to open a new port: quick at first, then every few seconds. */
const REOPEN_MS = [100, 250, 500, 1000, 2000, 5000]

/**
 * A comlink Endpoint that outlives its chrome.runtime Port. A page can connect before the offscreen
 * document listens (Chrome then disconnects the port at once) or the offscreen document can be
 * recreated; a plain endpoint would leave every call waiting forever, so the page said
 * "Connecting to the helper…" for good. This one opens a new port after a disconnect and posts again
 * every request not yet answered (comlink matches replies by `id`), then what was posted meanwhile.
 * A request the old side received before it went away runs again on the new side: the engine there is
 * a fresh one, so nothing runs twice on the same engine.
 */
export function reconnectingEndpoint(
  open: () => Promise<PortLike>,
  setTimer: (fn: () => void, ms: number) => void = (fn, ms) => void setTimeout(fn, ms),
): Endpoint {
  const listeners = new Map<EventListenerOrEventListenerObject, (m: unknown) => void>()
  /** Requests posted and not answered yet, by comlink id, in the order they were posted. */
  const pending = new Map<string, unknown>()
  /** Messages without an id (releases) posted while no port was open. */
  let queued: unknown[] = []
  let port: PortLike | null = null
  let attempt = 0

  const idOf = (m: unknown): string | undefined => {
    const id = (m as { id?: unknown } | null)?.id
    return typeof id === 'string' ? id : undefined
  }
  const deliver = (listener: EventListenerOrEventListenerObject) => (m: unknown) => {
    const data = decode(m)
    const id = idOf(data)
    if (id !== undefined) pending.delete(id)
    attempt = 0 // the other side answers: this port works
    const ev = { data } as MessageEvent
    if (typeof listener === 'function') listener(ev)
    else listener.handleEvent(ev)
  }
  const connect = () => {
    void open().then(
      (p) => {
        let alive = true
        p.onDisconnect.addListener(() => {
          if (!alive) return
          alive = false
          for (const fn of listeners.values()) p.onMessage.removeListener(fn)
          port = null
          setTimer(connect, REOPEN_MS[Math.min(attempt++, REOPEN_MS.length - 1)]!)
        })
        for (const fn of listeners.values()) p.onMessage.addListener(fn)
        port = p
        const again = [...pending.values(), ...queued]
        queued = []
        for (const m of again) p.postMessage(encode(m))
      },
      () => setTimer(connect, REOPEN_MS[Math.min(attempt++, REOPEN_MS.length - 1)]!),
    )
  }
  connect()
  return {
    postMessage(message: unknown) {
      const id = idOf(message)
      if (id !== undefined) pending.set(id, message)
      if (!port) {
        if (id === undefined) queued.push(message)
        return
      }
      port.postMessage(encode(message))
    },
    addEventListener(_type: string, listener: EventListenerOrEventListenerObject) {
      const fn = deliver(listener)
      listeners.set(listener, fn)
      port?.onMessage.addListener(fn)
    },
    removeEventListener(_type: string, listener: EventListenerOrEventListenerObject) {
      const fn = listeners.get(listener)
      if (fn) port?.onMessage.removeListener(fn)
      listeners.delete(listener)
    },
  }
}
