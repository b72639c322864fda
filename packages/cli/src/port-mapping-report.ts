import type { BtEngine } from '@tidepool/engine'

/**
 * Tells the user once what became of the listen port's mapping on the router ("Port 6881 mapped as
 * 203.0.113.5:6881 via UPnP", or why not): to stderr, and as a `portMapping` event with --json.
 * Watches for at most `forMs` (a gateway answers in seconds or not at all); returns a stop function.
 */
export function reportPortMapping(
  engine: BtEngine,
  io: { err: (s: string) => void; out: (s: string) => void },
  json: boolean,
  forMs = 60_000,
): () => void {
  let last = ''
  const started = Date.now()
  const check = (): void => {
    const pm = engine.status().portMapping
    if (!pm || pm.state === 'off') return stop()
    if (pm.state === 'pending' || pm.state === 'idle') {
      if (Date.now() - started > forMs) stop()
      return
    }
    if (pm.summary !== last) {
      last = pm.summary
      io.err(`port mapping: ${pm.summary}\n`)
      if (json) io.out(`${JSON.stringify({ event: 'portMapping', state: pm.state, mappings: pm.mappings })}\n`)
    }
    if (pm.state === 'unsupported' || Date.now() - started > forMs) stop()
  }
  const timer = setInterval(check, 250)
  const stop = (): void => clearInterval(timer)
  return stop
}
