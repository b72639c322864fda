import {
  BencodeError,
  decodeBencode,
  encodeBencode,
  getBytes,
  getField,
  getInt,
  isDict,
  type BDict,
  type BValue,
} from '../util/bencode.ts'
import { utf8Decode, utf8Encode } from '../util/bytes.ts'
import { formatIPv6, parseIPv4, parseIPv6 } from '../util/peer-address.ts'
import { ExtensionError } from './extension-error.ts'

/** BEP 10 extended handshake (extended message id 0). */
export interface ExtendedHandshake {
  /** Extension name → the id the sender wants for it; 0 means the sender disabled it. */
  m: Record<string, number>
  v?: string // client name and version
  p?: number // sender's listen port
  reqq?: number // requests the sender queues before dropping
  metadataSize?: number // BEP 9
  yourIp?: string // our address as the sender sees it
  ipv4?: string
  ipv6?: string
  completeAgo?: number // BEP 21-ish: seconds since the sender completed (-1: never)
  uploadOnly?: boolean // BEP 21
}

const MAX_EXTENSIONS = 64

function ipFromBytes(b: Uint8Array | undefined): string | undefined {
  if (!b) return undefined
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`
  if (b.length === 16) return formatIPv6(b)
  return undefined
}

function ipToBytes(ip: string): Uint8Array | undefined {
  return parseIPv4(ip) ?? parseIPv6(ip) ?? undefined
}

export function encodeExtendedHandshake(h: ExtendedHandshake): Uint8Array {
  const m: BDict = {}
  for (const [name, id] of Object.entries(h.m)) m[name] = id
  const d: BDict = { m }
  if (h.v !== undefined) d.v = utf8Encode(h.v)
  if (h.p !== undefined) d.p = h.p
  if (h.reqq !== undefined) d.reqq = h.reqq
  if (h.metadataSize !== undefined) d.metadata_size = h.metadataSize
  const yourip = h.yourIp !== undefined ? ipToBytes(h.yourIp) : undefined
  if (yourip) d.yourip = yourip
  const v4 = h.ipv4 !== undefined ? parseIPv4(h.ipv4) : null
  if (v4) d.ipv4 = v4
  const v6 = h.ipv6 !== undefined ? parseIPv6(h.ipv6) : null
  if (v6) d.ipv6 = v6
  if (h.completeAgo !== undefined) d.complete_ago = h.completeAgo
  if (h.uploadOnly !== undefined) d.upload_only = h.uploadOnly ? 1 : 0
  return encodeBencode(d)
}

/**
 * Decodes a peer's extended handshake. The root and 'm' must be dictionaries (else ExtensionError);
 * optional fields of the wrong type or range are ignored, as real clients vary.
 */
export function decodeExtendedHandshake(payload: Uint8Array): ExtendedHandshake {
  let root: BValue
  try {
    root = decodeBencode(payload, { maxDepth: 16, maxElements: 2000 })
  } catch (e) {
    if (e instanceof BencodeError) throw new ExtensionError(`extended handshake: ${e.message}`)
    throw e
  }
  if (!isDict(root)) throw new ExtensionError('extended handshake is not a dictionary')
  const rawM = getField(root, 'm')
  if (rawM !== undefined && !isDict(rawM)) throw new ExtensionError("extended handshake: 'm' is not a dictionary")
  const m: Record<string, number> = Object.create(null) as Record<string, number>
  let count = 0
  for (const name of rawM ? Object.keys(rawM) : []) {
    const id = getInt(rawM as BDict, name)
    if (id === undefined || id < 0 || id > 255) continue
    if (++count > MAX_EXTENSIONS) break
    m[name] = id
  }
  const h: ExtendedHandshake = { m }
  const v = getBytes(root, 'v')
  if (v) h.v = utf8Decode(v.subarray(0, 100))
  const p = getInt(root, 'p')
  if (p !== undefined && p > 0 && p <= 65535) h.p = p
  const reqq = getInt(root, 'reqq')
  if (reqq !== undefined && reqq > 0) h.reqq = reqq
  const size = getInt(root, 'metadata_size')
  if (size !== undefined && size > 0) h.metadataSize = size
  const yourIp = ipFromBytes(getBytes(root, 'yourip'))
  if (yourIp) h.yourIp = yourIp
  const v4 = getBytes(root, 'ipv4')
  if (v4?.length === 4) h.ipv4 = ipFromBytes(v4)
  const v6 = getBytes(root, 'ipv6')
  if (v6?.length === 16) h.ipv6 = ipFromBytes(v6)
  const ago = getInt(root, 'complete_ago')
  if (ago !== undefined && ago >= -1) h.completeAgo = ago
  const uo = getInt(root, 'upload_only')
  if (uo !== undefined) h.uploadOnly = uo !== 0
  return h
}
