import {
  BencodeError,
  decodeBencode,
  encodeBencode,
  getBytes,
  isDict,
  type BDict,
  type BValue,
} from '../util/bencode.ts'
import {
  decodeCompactPeers4,
  decodeCompactPeers6,
  encodeCompactPeers,
  parseIPv4,
  parseIPv6,
  peerKey,
  type PeerAddress,
} from '../util/peer-address.ts'
import { ExtensionError } from './extension-error.ts'

/** BEP 11 flags of an added peer. */
export const PEX_ENCRYPTION = 0x01
export const PEX_SEED = 0x02
export const PEX_UTP = 0x04
export const PEX_HOLEPUNCH = 0x08
export const PEX_REACHABLE = 0x10

export interface PexPeer extends PeerAddress {
  flags: number
}

export interface PexMessage {
  added: PexPeer[] // IPv4 and IPv6 together
  dropped: PeerAddress[]
}

/** BEP 11: at most 50 added and 50 dropped per message. */
export const PEX_MAX_PER_MESSAGE = 50

function family(ip: string): 4 | 6 | 0 {
  return parseIPv4(ip) ? 4 : parseIPv6(ip) ? 6 : 0
}

export function encodePex(msg: PexMessage): Uint8Array {
  const d: BDict = {}
  for (const f of [4, 6] as const) {
    const added = msg.added.filter((p) => family(p.ip) === f)
    const dropped = msg.dropped.filter((p) => family(p.ip) === f)
    const suffix = f === 4 ? '' : '6'
    if (added.length) {
      d[`added${suffix}`] = encodeCompactPeers(added, f)
      d[`added${suffix}.f`] = new Uint8Array(added.map((p) => p.flags & 0xff))
    }
    if (dropped.length) d[`dropped${suffix}`] = encodeCompactPeers(dropped, f)
  }
  return encodeBencode(d)
}

/** Decodes a ut_pex message; at most `maxPeers` of each list are kept (peers can send more than BEP 11 allows). */
export function decodePex(payload: Uint8Array, maxPeers = 200): PexMessage {
  let root: BValue
  try {
    root = decodeBencode(payload, { maxDepth: 4, maxElements: 1000 })
  } catch (e) {
    if (e instanceof BencodeError) throw new ExtensionError(`ut_pex: ${e.message}`)
    throw e
  }
  if (!isDict(root)) throw new ExtensionError('ut_pex: not a dictionary')
  const added: PexPeer[] = []
  const dropped: PeerAddress[] = []
  for (const suffix of ['', '6']) {
    const a = getBytes(root, `added${suffix}`)
    const flags = getBytes(root, `added${suffix}.f`)
    if (a) {
      const peers = suffix ? decodeCompactPeers6(a) : decodeCompactPeers4(a)
      // Flags are positional; decodeCompact* skips port-0 entries, so map by original index.
      const size = suffix ? 18 : 6
      let i = 0
      for (let o = 0; o + size <= a.length && added.length < maxPeers; o += size, i++) {
        if (((a[o + size - 2] << 8) | a[o + size - 1]) === 0) continue
        const p = peers.shift()
        if (p) added.push({ ...p, flags: flags && i < flags.length ? flags[i] : 0 })
      }
    }
    const d = getBytes(root, `dropped${suffix}`)
    if (d)
      dropped.push(
        ...(suffix ? decodeCompactPeers6(d) : decodeCompactPeers4(d)).slice(0, Math.max(0, maxPeers - dropped.length)),
      )
  }
  return { added, dropped }
}

/**
 * What to tell one peer next: the change in our connected set since the last message,
 * at most 50 added and 50 dropped (the rest waits for the next round, sent about once a minute).
 */
export class PexDiff {
  private sent = new Map<string, PexPeer>()

  /** Returns the message to send now, or null when nothing changed. */
  next(current: readonly PexPeer[]): PexMessage | null {
    const now = new Map(current.map((p) => [peerKey(p), p]))
    const added: PexPeer[] = []
    const dropped: PeerAddress[] = []
    for (const [k, p] of now) {
      if (added.length >= PEX_MAX_PER_MESSAGE) break
      if (!this.sent.has(k)) added.push(p)
    }
    for (const [k, p] of this.sent) {
      if (dropped.length >= PEX_MAX_PER_MESSAGE) break
      if (!now.has(k)) dropped.push({ ip: p.ip, port: p.port })
    }
    if (!added.length && !dropped.length) return null
    for (const p of added) this.sent.set(peerKey(p), p)
    for (const p of dropped) this.sent.delete(peerKey(p))
    return { added, dropped }
  }
}
