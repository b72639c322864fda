import type { IncomingMessage } from 'node:http'

export interface UpgradePolicy {
  port: number
  allowOrigins: string[]
  allowNoOrigin: boolean
}

/**
 * Decides at the HTTP upgrade, before any frame, whether a WebSocket may open. Returns a refusal
 * reason or null. Host must name loopback with our port (DNS rebinding); Origin must be listed,
 * or absent when origin-less (non-browser) clients are allowed.
 */
export function refuseUpgrade(req: IncomingMessage, policy: UpgradePolicy): string | null {
  const host = (req.headers.host ?? '').toLowerCase()
  if (host !== `127.0.0.1:${policy.port}` && host !== `localhost:${policy.port}`) return 'foreign Host'
  const origin = req.headers.origin
  if (origin === undefined) return policy.allowNoOrigin ? null : 'missing Origin'
  return policy.allowOrigins.includes(origin) ? null : 'foreign Origin'
}
