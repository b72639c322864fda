import dgram from 'node:dgram'
import http from 'node:http'
import {
  decodeSoapResponse,
  encodeSoapRequest,
  findWanService,
  upnpErrorText,
  type IgdService,
  type SoapArgs,
} from './igd-codec.ts'
import { decodeSsdpResponse, encodeMSearch, IGD_SEARCH_TARGETS, SSDP_ADDRESS, SSDP_PORT } from './ssdp-codec.ts'

/**
 * UPnP IGD client: SSDP search on one interface (the one towards our gateway), then SOAP to the
 * control URL of the device that answered. Only the address that answered the search is ever
 * contacted over HTTP: a LOCATION or control URL pointing anywhere else is refused.
 */

const MAX_BODY_BYTES = 256 * 1024

export class UpnpError extends Error {}

export interface UpnpTarget {
  localAddress: string
  /** When set, only an IGD at this address is accepted. */
  gateway?: string
  /** Tried first when several devices answer (our default route's gateway). */
  prefer?: string
  /** How long to wait for search responses. */
  searchMs?: number
  httpTimeoutMs?: number
}

/** Finds the IGD: M-SEARCH to 239.255.255.250:1900 out of `localAddress`'s interface (TTL 2). */
export async function discoverIgd(t: UpnpTarget): Promise<IgdService & { host: string }> {
  const sock = dgram.createSocket({ type: 'udp4', reuseAddr: false })
  const searchMs = t.searchMs ?? 2000
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject)
      sock.bind(0, t.localAddress, () => resolve())
    })
    sock.setMulticastInterface(t.localAddress)
    sock.setMulticastTTL(2)
    sock.setMulticastLoopback(false)
    const locations: Array<{ location: string; from: string }> = []
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, searchMs)
      sock.on('error', () => {}) // a send that fails (no route for multicast) just finds nothing
      sock.on('message', (msg, rinfo) => {
        const r = decodeSsdpResponse(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength))
        if (!r || (t.gateway && rinfo.address !== t.gateway)) return
        let host: string
        try {
          host = new URL(r.location).hostname
        } catch {
          return
        }
        if (host !== rinfo.address) return // only the responder itself, never a URL it points elsewhere
        if (!locations.some((l) => l.location === r.location))
          locations.push({ location: r.location, from: rinfo.address })
        clearTimeout(timer)
        // Give the other search target a moment to answer too, then stop.
        setTimeout(resolve, 200)
      })
      // MX 1: an IGD answers within a second; repeated once because SSDP is UDP.
      for (const st of IGD_SEARCH_TARGETS) sock.send(encodeMSearch(st, 1), SSDP_PORT, SSDP_ADDRESS)
      setTimeout(
        () => {
          if (locations.length === 0)
            for (const st of IGD_SEARCH_TARGETS) sock.send(encodeMSearch(st, 1), SSDP_PORT, SSDP_ADDRESS)
        },
        Math.min(1000, searchMs / 2),
      )
    })
    if (locations.length === 0)
      throw new UpnpError(t.gateway ? `no UPnP gateway answered at ${t.gateway}` : 'no UPnP gateway answered')
    const errors: string[] = []
    locations.sort((a, b) => Number(b.from === t.prefer) - Number(a.from === t.prefer))
    for (const { location, from } of locations) {
      try {
        const xml = await httpRequest(location, 'GET', undefined, {}, t.httpTimeoutMs)
        const svc = findWanService(xml.body, location)
        if (!svc) throw new UpnpError(`${location} lists no WANIPConnection/WANPPPConnection service`)
        if (new URL(svc.controlUrl).hostname !== from)
          throw new UpnpError(`${location} points its control URL at another host`)
        return { ...svc, host: from }
      } catch (e) {
        errors.push(e instanceof Error ? e.message : String(e))
      }
    }
    throw new UpnpError(errors.join('; '))
  } finally {
    sock.close()
  }
}

function httpRequest(
  url: string,
  method: 'GET' | 'POST',
  body: string | undefined,
  headers: Record<string, string>,
  timeoutMs = 5000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url)
    if (u.protocol !== 'http:') return reject(new UpnpError(`not an http URL: ${url}`))
    const req = http.request(
      {
        host: u.hostname,
        port: u.port || 80,
        path: u.pathname + u.search,
        method,
        headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = []
        let n = 0
        res.on('data', (c: Buffer) => {
          n += c.length
          if (n > MAX_BODY_BYTES) return req.destroy(new UpnpError(`${url}: reply over ${MAX_BODY_BYTES} bytes`))
          chunks.push(c)
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new UpnpError(`${url}: no reply in ${timeoutMs} ms`)))
    req.on('error', (e) =>
      reject(e instanceof UpnpError ? e : new UpnpError(`${url}: ${(e as NodeJS.ErrnoException).code ?? e.message}`)),
    )
    req.end(body)
  })
}

/** One SOAP action; a Fault becomes a UpnpError with its code (`code`). */
export async function soapCall(
  svc: IgdService,
  action: string,
  args: SoapArgs,
  timeoutMs?: number,
): Promise<Record<string, string>> {
  const { body, soapAction } = encodeSoapRequest(svc.serviceType, action, args)
  const res = await httpRequest(
    svc.controlUrl,
    'POST',
    body,
    { 'content-type': 'text/xml; charset="utf-8"', soapaction: soapAction },
    timeoutMs,
  )
  const r = decodeSoapResponse(res.body, action)
  if (!r.ok) throw Object.assign(new UpnpError(upnpErrorText(r.errorCode, r.errorDescription)), { code: r.errorCode })
  if (res.status !== 200) throw new UpnpError(`${action}: HTTP ${res.status}`)
  return r.values
}

export interface UpnpMapping {
  method: 'upnp'
  svc: IgdService
  externalAddress: string
  externalPort: number
  lifetimeSec: number
}

/**
 * AddPortMapping for `internalPort` on `localAddress`. The same external port first; on a conflict
 * (718) a few others. A gateway that only takes permanent leases (725) gets lease 0, which we remove
 * on exit like any other.
 */
export async function upnpMap(
  t: UpnpTarget,
  svc: IgdService,
  protocol: 'tcp' | 'udp',
  internalPort: number,
  lifetimeSec: number,
  prevExternalPort?: number,
): Promise<UpnpMapping> {
  const candidates = [prevExternalPort ?? internalPort]
  for (let i = 0; i < 3; i++) candidates.push(1025 + Math.floor(Math.random() * 64000))
  let lease = lifetimeSec
  let lastError: unknown
  for (const ext of candidates) {
    for (let tries = 0; tries < 2; tries++) {
      try {
        await soapCall(
          svc,
          'AddPortMapping',
          [
            ['NewRemoteHost', ''],
            ['NewExternalPort', ext],
            ['NewProtocol', protocol.toUpperCase()],
            ['NewInternalPort', internalPort],
            ['NewInternalClient', t.localAddress],
            ['NewEnabled', 1],
            ['NewPortMappingDescription', `Tidepool ${protocol.toUpperCase()} ${internalPort}`],
            ['NewLeaseDuration', lease],
          ],
          t.httpTimeoutMs,
        )
        const ip = await soapCall(svc, 'GetExternalIPAddress', [], t.httpTimeoutMs).catch(
          () => ({}) as Record<string, string>,
        )
        return {
          method: 'upnp',
          svc,
          externalAddress: ip.NewExternalIPAddress ?? '',
          externalPort: ext,
          lifetimeSec: lease,
        }
      } catch (e) {
        lastError = e
        const code = (e as { code?: number }).code
        if (code === 725 && lease !== 0) {
          lease = 0
          continue
        }
        if (code === 718) break // taken by another client: next candidate port
        throw e
      }
    }
  }
  throw lastError instanceof Error ? lastError : new UpnpError(String(lastError))
}

export async function upnpUnmap(t: UpnpTarget, m: UpnpMapping, protocol: 'tcp' | 'udp'): Promise<void> {
  await soapCall(
    m.svc,
    'DeletePortMapping',
    [
      ['NewRemoteHost', ''],
      ['NewExternalPort', m.externalPort],
      ['NewProtocol', protocol.toUpperCase()],
    ],
    t.httpTimeoutMs,
  )
}
