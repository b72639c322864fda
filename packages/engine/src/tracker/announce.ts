import type { NetPort } from '../platform/ports.ts'
import type { Clock } from '../util/clock.ts'
import type { AnnounceParams, AnnounceResult } from './announce-types.ts'
import { httpAnnounce } from './http-announce.ts'
import { TrackerError } from './tracker-error.ts'
import type { UdpTrackerClient } from './udp-tracker-client.ts'

export interface AnnounceCallOptions {
  signal?: AbortSignal
  timeoutMs?: number
}

/** Announces to one tracker URL of any supported scheme. */
export type Announcer = (url: string, params: AnnounceParams, opts: AnnounceCallOptions) => Promise<AnnounceResult>

export function isSupportedTrackerUrl(url: string): boolean {
  return /^(https?|udp):\/\//i.test(url)
}

/** The default announcer: http(s) through NetPort TCP, udp through the shared BEP 15 client. */
export function defaultAnnouncer(net: NetPort, clock: Clock, udp: () => UdpTrackerClient): Announcer {
  return (url, params, opts) => {
    if (/^udp:\/\//i.test(url)) {
      if (opts.timeoutMs === undefined) return udp().announce(url, params, opts.signal)
      // A bounded announce (e.g. 'stopped' on shutdown): abort the UDP retries when time is up.
      const ac = new AbortController()
      const onAbort = () => ac.abort()
      opts.signal?.addEventListener('abort', onAbort)
      const timer = clock.setTimeout(() => ac.abort(), opts.timeoutMs)
      return udp()
        .announce(url, params, ac.signal)
        .finally(() => {
          clock.clearTimeout(timer)
          opts.signal?.removeEventListener('abort', onAbort)
        })
    }
    if (/^https?:\/\//i.test(url)) return httpAnnounce(net, url, params, { clock, timeoutMs: opts.timeoutMs })
    return Promise.reject(new TrackerError('unsupported', `unsupported tracker scheme: ${url.slice(0, 40)}`))
  }
}
