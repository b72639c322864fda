/**
 * The service worker's link to the native host: connectNative('com.tidepool.daemon'), send hello,
 * receive {port, token, version}. The Port stays open: the host (and so the daemon's parent) lives
 * while it does, and an open native Port keeps the service worker alive.
 */
import { NATIVE_HOST, type DaemonInfo } from '../shared/messages.ts'

export type HostState = { kind: 'ready'; info: DaemonInfo } | { kind: 'not-installed' | 'unreachable'; message: string }

/**
 * Chrome's words for a host it cannot find ("Specified native messaging host not found.") or may not
 * start for this extension ("Access to the specified native messaging host is forbidden."). A host
 * that started and then died says "Native host has exited." or "Error when communicating with the
 * native messaging host.": installed, so not "not installed" (a crash is retried, not re-installed).
 */
const NOT_INSTALLED = /native messaging host not found|native messaging host is forbidden/i

export function classifyHostError(message: string): 'not-installed' | 'unreachable' {
  return NOT_INSTALLED.test(message) ? 'not-installed' : 'unreachable'
}

export function isDaemonInfo(m: unknown): m is DaemonInfo {
  const o = m as Record<string, unknown> | null
  return (
    !!o &&
    typeof o.port === 'number' &&
    o.port > 0 &&
    o.port < 65536 &&
    typeof o.token === 'string' &&
    o.token.length > 0
  )
}

export class NativeHostLink {
  private port: chrome.runtime.Port | null = null
  private last: HostState | null = null
  private waiters: Array<(s: HostState) => void> = []

  constructor(private onState: (s: HostState) => void) {}

  state(): HostState | null {
    return this.last
  }

  /** Connects if needed; resolves with the first answer (or failure). */
  connect(): Promise<HostState> {
    if (this.last?.kind === 'ready' && this.port) return Promise.resolve(this.last)
    const p = new Promise<HostState>((resolve) => this.waiters.push(resolve))
    if (!this.port) this.open()
    return p
  }

  /** Forget the current answer and ask the host again (e.g. the daemon it named is gone). */
  reconnect(): Promise<HostState> {
    const old = this.port
    this.port = null
    this.last = null
    if (old) {
      try {
        old.disconnect()
      } catch {
        /* already gone */
      }
    }
    return this.connect()
  }

  private settle(s: HostState): void {
    this.last = s
    this.onState(s)
    const w = this.waiters
    this.waiters = []
    for (const fn of w) fn(s)
  }

  private open(): void {
    let port: chrome.runtime.Port
    try {
      port = chrome.runtime.connectNative(NATIVE_HOST)
    } catch (e) {
      const message = String((e as Error)?.message ?? e)
      this.settle({ kind: classifyHostError(message), message })
      return
    }
    this.port = port
    port.onMessage.addListener((msg: unknown) => {
      if (isDaemonInfo(msg))
        this.settle({
          kind: 'ready',
          info: { port: msg.port, token: msg.token, ...(msg.version ? { version: String(msg.version) } : {}) },
        })
      else if (msg && typeof (msg as { error?: unknown }).error === 'string') {
        // The host could not provide a daemon: drop this port so the next connect() asks again.
        this.port = null
        try {
          port.disconnect()
        } catch {
          /* already gone */
        }
        this.settle({ kind: 'unreachable', message: (msg as { error: string }).error })
      }
    })
    port.onDisconnect.addListener(() => {
      const message = chrome.runtime.lastError?.message ?? 'the native host exited'
      if (this.port !== port) return // replaced by reconnect()
      this.port = null
      // A host that answered and then exited leaves a daemon that still runs: keep using it.
      if (this.last?.kind === 'ready' && this.waiters.length === 0) return
      this.settle({ kind: classifyHostError(message), message })
    })
    port.postMessage({ type: 'hello', version: chrome.runtime.getManifest().version })
  }
}
