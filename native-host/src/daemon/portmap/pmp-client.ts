import { randomBytes } from 'node:crypto'
import dgram from 'node:dgram'
import {
  decodePmpResponse,
  encodePmpExternalAddress,
  encodePmpMap,
  NATPMP_PORT,
  pmpResultText,
} from './natpmp-codec.ts'
import { decodePcpResponse, encodePcpMap, pcpResultText } from './pcp-codec.ts'

/**
 * PCP (RFC 6887) with NAT-PMP (RFC 6886) fallback, one request/response exchange at a time with a
 * gateway we were given: unicast to its port 5351, never to any other address.
 */

export interface PmpTarget {
  gateway: string
  localAddress: string
  /** Retransmissions start at this interval and double (RFC 6886 §3.1 starts at 250 ms). */
  firstRetryMs?: number
  /** Attempts per request (RFC 6886 allows 9; we stop much earlier and fall back to UPnP). */
  attempts?: number
  /** The gateway's PCP/NAT-PMP port; 5351 except in tests. */
  serverPort?: number
}

export interface PmpMapping {
  method: 'pcp' | 'natpmp'
  externalAddress: string
  externalPort: number
  lifetimeSec: number
  /** PCP: the nonce renewals and the delete must repeat. */
  nonce?: Uint8Array
}

export class PmpError extends Error {
  constructor(
    message: string,
    /** true when the gateway answered (so UPnP is still worth trying only if it refused the protocol). */
    readonly answered: boolean,
  ) {
    super(message)
  }
}

/** Sends `req` until `accept` returns a value for a datagram from gateway:5351, or attempts run out. */
async function exchange<T>(t: PmpTarget, req: Uint8Array, accept: (b: Uint8Array) => T | null): Promise<T> {
  const sock = dgram.createSocket('udp4')
  const attempts = t.attempts ?? 4
  let delay = t.firstRetryMs ?? 250
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject)
      sock.bind(0, t.localAddress, () => resolve())
    })
    // Connected: only the gateway's datagrams reach us, and an ICMP port-unreachable fails at once.
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject)
      sock.connect(t.serverPort ?? NATPMP_PORT, t.gateway, () => resolve())
    })
    return await new Promise<T>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined
      let sent = 0
      const done = (f: () => void): void => {
        clearTimeout(timer)
        sock.removeAllListeners('message')
        sock.removeAllListeners('error')
        f()
      }
      sock.on('message', (msg) => {
        const v = accept(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength))
        if (v !== null) done(() => resolve(v))
      })
      sock.on('error', (e: NodeJS.ErrnoException) => {
        done(() =>
          reject(
            new PmpError(
              e.code === 'ECONNREFUSED'
                ? `nothing listens on ${t.gateway}:${t.serverPort ?? NATPMP_PORT}`
                : `${e.code ?? e.message}`,
              false,
            ),
          ),
        )
      })
      const send = (): void => {
        if (sent++ >= attempts)
          return done(() => reject(new PmpError(`no answer from ${t.gateway}:${t.serverPort ?? NATPMP_PORT}`, false)))
        sock.send(req)
        timer = setTimeout(send, delay)
        delay *= 2
      }
      send()
    })
  } finally {
    sock.close()
  }
}

/** PCP MAP; a gateway that speaks only NAT-PMP answers UNSUPP_VERSION and we ask again with NAT-PMP. */
export async function pmpMap(
  t: PmpTarget,
  protocol: 'tcp' | 'udp',
  internalPort: number,
  lifetimeSec: number,
  prev?: PmpMapping,
): Promise<PmpMapping> {
  if (prev?.method !== 'natpmp') {
    const nonce = prev?.nonce ?? new Uint8Array(randomBytes(12))
    const req = encodePcpMap({
      nonce,
      protocol,
      internalPort,
      suggestedExternalPort: prev?.externalPort ?? internalPort,
      lifetimeSec,
      clientAddress: t.localAddress,
    })
    const r = await exchange(t, req, (b) => {
      if (b[0] === 0) return { natpmpOnly: true as const } // a NAT-PMP server's UNSUPP_VERSION (RFC 6887 §9)
      const p = decodePcpResponse(b)
      if (!p) return null
      if (p.op === 'map' && !p.nonce.every((x, i) => x === nonce[i])) return null
      return { natpmpOnly: false as const, p }
    })
    if (!r.natpmpOnly) {
      const p = r.p
      if (p.result === 1)
        return pmpMap(t, protocol, internalPort, lifetimeSec, {
          method: 'natpmp',
          externalAddress: '',
          externalPort: internalPort,
          lifetimeSec,
        })
      if (p.result !== 0 || p.op !== 'map') throw new PmpError(`PCP: ${pcpResultText(p.result)}`, true)
      return {
        method: 'pcp',
        externalAddress: p.externalAddress,
        externalPort: p.externalPort,
        lifetimeSec: p.lifetimeSec,
        nonce,
      }
    }
  }
  const m = await exchange(
    t,
    encodePmpMap(protocol, internalPort, prev?.externalPort ?? internalPort, lifetimeSec),
    (b) => {
      const r = decodePmpResponse(b)
      if (!r) return null
      if (r.op === 'map' && (r.protocol !== protocol || r.internalPort !== internalPort)) return null
      return r
    },
  )
  if (m.result !== 0 || m.op !== 'map') throw new PmpError(`NAT-PMP: ${pmpResultText(m.result)}`, true)
  const a = await exchange(t, encodePmpExternalAddress(), (b) => {
    const r = decodePmpResponse(b)
    return r && (r.op === 'external-address' || r.op === 'error') ? r : null
  })
  const externalAddress = a.op === 'external-address' && a.result === 0 ? a.externalAddress : ''
  return { method: 'natpmp', externalAddress, externalPort: m.externalPort, lifetimeSec: m.lifetimeSec }
}

/** Deletes a mapping (lifetime 0). */
export async function pmpUnmap(
  t: PmpTarget,
  protocol: 'tcp' | 'udp',
  internalPort: number,
  m: PmpMapping,
): Promise<void> {
  if (m.method === 'pcp' && m.nonce) {
    const req = encodePcpMap({
      nonce: m.nonce,
      protocol,
      internalPort,
      suggestedExternalPort: 0,
      lifetimeSec: 0,
      clientAddress: t.localAddress,
    })
    const p = await exchange(t, req, (b) => decodePcpResponse(b))
    if (p.result !== 0) throw new PmpError(`PCP delete: ${pcpResultText(p.result)}`, true)
    return
  }
  const r = await exchange(t, encodePmpMap(protocol, internalPort, 0, 0), (b) => decodePmpResponse(b))
  if (r.result !== 0) throw new PmpError(`NAT-PMP delete: ${pmpResultText(r.result)}`, true)
}
