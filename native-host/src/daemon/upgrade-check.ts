import type { IncomingMessage } from 'node:http'

export interface UpgradePolicy {
  port: number
  allowOrigins: string[]
  allowNoOrigin: boolean
  /** Companion mode: the `Host` it must name instead of loopback (its LAN address and port). */
  companionHost?: string
  /** Companion mode: pages served from the client machine's loopback (the web app) may connect too. */
  allowLoopbackPages?: boolean
}

/** http(s) pages on loopback: the local web app on the client's own machine. */
const LOOPBACK_PAGE = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/

/**
 * Decides at the HTTP upgrade, before any frame, whether a WebSocket may open. Returns a refusal
 * reason or null. Host must name loopback with our port (DNS rebinding); Origin must be listed,
 * or absent when origin-less (non-browser) clients are allowed.
 */
export function refuseUpgrade(req: IncomingMessage, policy: UpgradePolicy): string | null {
  const host = (req.headers.host ?? '').toLowerCase()
  if (policy.companionHost !== undefined) {
    if (host !== policy.companionHost.toLowerCase()) return 'foreign Host'
  } else if (host !== `127.0.0.1:${policy.port}` && host !== `localhost:${policy.port}`) return 'foreign Host'
  const origin = req.headers.origin
  if (origin === undefined) return policy.allowNoOrigin ? null : 'missing Origin'
  if (policy.allowLoopbackPages && LOOPBACK_PAGE.test(origin)) return null
  return policy.allowOrigins.includes(origin) ? null : 'foreign Origin'
}
