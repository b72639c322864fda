/**
 * KRPC (BEP 5) message codec: queries ping / find_node / get_peers / announce_peer, their responses,
 * and errors; compact node info (26 bytes IPv4, 38 bytes IPv6 for BEP 32 `nodes6`), compact peers in
 * `values`, `want` (BEP 32), `ro` (BEP 43), `implied_port` and the BEP 42 `ip` field.
 *
 * Decoding is for hostile input: a packet over MAX_KRPC_PACKET is refused before it is parsed, every
 * field is type- and length-checked, and the result is a value (never an exception). A failure that
 * still carries a transaction id of a query says so, so the node can answer it with an error.
 */
import {
  BencodeError,
  decodeBencode,
  encodeBencode,
  getBytes,
  getDict,
  getField,
  getInt,
  getList,
  isDict,
} from '../util/bencode.ts'
import type { BDict, BValue } from '../util/bencode.ts'
import { formatIPv6, parseIPv4, parseIPv6 } from '../util/peer-address.ts'
import type { PeerAddress } from '../util/peer-address.ts'
import { ID_BYTES, isNodeId } from './node-id.ts'
import type { NodeId } from './node-id.ts'

/** A UDP datagram on the Internet path seldom exceeds 1500 bytes; nothing in KRPC needs more. */
export const MAX_KRPC_PACKET = 1500
export const MAX_TRANSACTION_ID = 16
export const MAX_TOKEN = 64
/** Client version strings (`v`) are 4 bytes in practice. */
export const MAX_VERSION = 16
export const MAX_ERROR_TEXT = 256
export const COMPACT_NODE_V4 = 26
export const COMPACT_NODE_V6 = 38

/** A node as the DHT knows it: id and UDP address. `host` is IPv4 dotted or IPv6 text (no brackets). */
export interface Contact {
  id: NodeId
  host: string
  port: number
}

export type Want = 'n4' | 'n6'
export type QueryMethod = 'ping' | 'find_node' | 'get_peers' | 'announce_peer'

export const ERROR_GENERIC = 201
export const ERROR_SERVER = 202
export const ERROR_PROTOCOL = 203
export const ERROR_METHOD_UNKNOWN = 204

interface QueryCommon {
  kind: 'query'
  t: Uint8Array
  id: NodeId
  /** BEP 43: the sender answers no queries and must not be put in routing tables. */
  ro: boolean
  /** BEP 32: which families of nodes the sender wants; undefined = the family it asked over. */
  want?: Want[]
  v?: Uint8Array
}

export type KrpcQuery = QueryCommon &
  (
    | { method: 'ping' }
    | { method: 'find_node'; target: NodeId }
    | { method: 'get_peers'; infoHash: NodeId }
    | { method: 'announce_peer'; infoHash: NodeId; port: number; impliedPort: boolean; token: Uint8Array }
  )

export interface KrpcResponse {
  kind: 'response'
  t: Uint8Array
  id: NodeId
  nodes?: Contact[]
  nodes6?: Contact[]
  values?: PeerAddress[]
  token?: Uint8Array
  /** BEP 42: the address the responder saw us at. */
  ip?: PeerAddress
  v?: Uint8Array
}

export interface KrpcError {
  kind: 'error'
  t: Uint8Array
  code: number
  message: string
}

export type KrpcMessage = KrpcQuery | KrpcResponse | KrpcError

export type KrpcDecodeReason =
  | 'too-large'
  | 'bencode'
  | 'not-a-dict'
  | 'bad-transaction'
  | 'bad-type'
  | 'bad-id'
  | 'unknown-method'
  | 'bad-field'

export interface KrpcDecodeError {
  reason: KrpcDecodeReason
  detail: string
  /** The transaction id when it could be read. */
  t?: Uint8Array
  /** True when the packet was a query (y = q): such a failure gets an error reply (`code`). */
  isQuery: boolean
  code: typeof ERROR_PROTOCOL | typeof ERROR_METHOD_UNKNOWN
}

export type KrpcDecodeResult = { ok: true; message: KrpcMessage } | { ok: false; error: KrpcDecodeError }

class FieldError extends Error {
  constructor(
    readonly reason: KrpcDecodeReason,
    detail: string,
    readonly code: KrpcDecodeError['code'] = ERROR_PROTOCOL,
  ) {
    super(detail)
  }
}

const latin1 = (b: Uint8Array) => String.fromCharCode(...b)
const asciiCache = new Map<string, Uint8Array>()
/** Bytes of a short ASCII constant ('q', 'get_peers', 'n4'), made once: encoders use them per packet. */
const ascii = (s: string) => {
  let b = asciiCache.get(s)
  if (!b) {
    b = Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff)
    asciiCache.set(s, b)
  }
  return b
}

function bytesField(d: BDict, key: string, min: number, max: number, required: true): Uint8Array
function bytesField(d: BDict, key: string, min: number, max: number, required: false): Uint8Array | undefined
function bytesField(d: BDict, key: string, min: number, max: number, required: boolean): Uint8Array | undefined {
  const v = getField(d, key)
  if (v === undefined && !required) return undefined
  if (!(v instanceof Uint8Array)) throw new FieldError('bad-field', `'${key}' missing or not a string`)
  if (v.length < min || v.length > max) throw new FieldError('bad-field', `'${key}' has ${v.length} bytes`)
  return v
}

function idField(d: BDict, key: string): NodeId {
  const v = getBytes(d, key)
  if (!isNodeId(v)) throw new FieldError(key === 'id' ? 'bad-id' : 'bad-field', `'${key}' is not ${ID_BYTES} bytes`)
  return v
}

// ---- compact forms ----------------------------------------------------------------------------

function compactAddress(host: string, port: number): Uint8Array | null {
  const ip = parseIPv4(host) ?? parseIPv6(host)
  if (!ip || port < 1 || port > 65535) return null
  const out = new Uint8Array(ip.length + 2)
  out.set(ip)
  out[ip.length] = port >> 8
  out[ip.length + 1] = port & 0xff
  return out
}

function readAddress(b: Uint8Array): PeerAddress | null {
  const n = b.length - 2
  if (n !== 4 && n !== 16) return null
  const port = (b[n] << 8) | b[n + 1]
  if (port === 0) return null
  const ip = n === 4 ? `${b[0]}.${b[1]}.${b[2]}.${b[3]}` : formatIPv6(b.subarray(0, 16))
  return { ip, port }
}

/** Compact node info of the contacts of one family (others skipped): id + address + port each. */
export function encodeCompactNodes(contacts: readonly Contact[], family: 4 | 6): Uint8Array {
  const size = family === 4 ? COMPACT_NODE_V4 : COMPACT_NODE_V6
  const parts: Uint8Array[] = []
  for (const c of contacts) {
    const a = compactAddress(c.host, c.port)
    if (!a || a.length + ID_BYTES !== size) continue
    const e = new Uint8Array(size)
    e.set(c.id)
    e.set(a, ID_BYTES)
    parts.push(e)
  }
  const out = new Uint8Array(parts.length * size)
  for (let i = 0; i < parts.length; i++) out.set(parts[i]!, i * size)
  return out
}

/** Decodes compact node info; a length that is not a whole number of entries is a protocol error. */
export function decodeCompactNodes(b: Uint8Array, family: 4 | 6): Contact[] {
  const size = family === 4 ? COMPACT_NODE_V4 : COMPACT_NODE_V6
  if (b.length % size !== 0) throw new FieldError('bad-field', `nodes${family === 6 ? '6' : ''} is ${b.length} bytes`)
  const out: Contact[] = []
  for (let i = 0; i < b.length; i += size) {
    const a = readAddress(b.subarray(i + ID_BYTES, i + size))
    if (a) out.push({ id: b.slice(i, i + ID_BYTES), host: a.ip, port: a.port })
  }
  return out
}

// ---- decoding ---------------------------------------------------------------------------------

export function decodeKrpc(packet: Uint8Array): KrpcDecodeResult {
  if (packet.length > MAX_KRPC_PACKET) return fail('too-large', `${packet.length} bytes`, undefined, false)
  let root: BValue
  try {
    root = decodeBencode(packet)
  } catch (e) {
    if (e instanceof BencodeError) return fail('bencode', e.message, undefined, false)
    return fail('bencode', String(e), undefined, false)
  }
  if (!isDict(root)) return fail('not-a-dict', 'top level is not a dictionary', undefined, false)
  const y = getBytes(root, 'y')
  const isQuery = y !== undefined && y.length === 1 && y[0] === 0x71
  const t = getBytes(root, 't')
  if (!t || t.length === 0 || t.length > MAX_TRANSACTION_ID)
    return fail('bad-transaction', 'missing or oversized t', undefined, isQuery)
  try {
    if (y?.length !== 1) throw new FieldError('bad-type', "'y' missing")
    const v = bytesField(root, 'v', 0, MAX_VERSION, false)
    const kind = String.fromCharCode(y[0])
    if (kind === 'q') return { ok: true, message: decodeQuery(root, t, v) }
    if (kind === 'r') return { ok: true, message: decodeResponse(root, t, v) }
    if (kind === 'e') return { ok: true, message: decodeError(root, t) }
    throw new FieldError('bad-type', `unknown y '${latin1(y)}'`)
  } catch (e) {
    if (e instanceof FieldError) return fail(e.reason, e.message, t, isQuery, e.code)
    return fail('bad-field', String(e), t, isQuery)
  }
}

function fail(
  reason: KrpcDecodeReason,
  detail: string,
  t: Uint8Array | undefined,
  isQuery: boolean,
  code: KrpcDecodeError['code'] = ERROR_PROTOCOL,
): KrpcDecodeResult {
  return { ok: false, error: { reason, detail, t, isQuery, code } }
}

function decodeQuery(root: BDict, t: Uint8Array, v: Uint8Array | undefined): KrpcQuery {
  const q = bytesField(root, 'q', 1, 32, true)
  const a = getDict(root, 'a')
  if (!a) throw new FieldError('bad-field', "query without 'a'")
  const id = idField(a, 'id')
  const ro = getInt(root, 'ro') === 1
  const want = decodeWant(a)
  const common = { kind: 'query' as const, t, id, ro, ...(want ? { want } : {}), ...(v ? { v } : {}) }
  const method = latin1(q)
  switch (method) {
    case 'ping':
      return { ...common, method }
    case 'find_node':
      return { ...common, method, target: idField(a, 'target') }
    case 'get_peers':
      return { ...common, method, infoHash: idField(a, 'info_hash') }
    case 'announce_peer': {
      const infoHash = idField(a, 'info_hash')
      const token = bytesField(a, 'token', 1, MAX_TOKEN, true)
      const impliedPort = getInt(a, 'implied_port') === 1
      const port = getInt(a, 'port')
      if (port === undefined || port < 0 || port > 65535 || (port === 0 && !impliedPort))
        throw new FieldError('bad-field', 'bad port')
      return { ...common, method, infoHash, port, impliedPort, token }
    }
    default:
      throw new FieldError('unknown-method', `method '${method}'`, ERROR_METHOD_UNKNOWN)
  }
}

function decodeWant(a: BDict): Want[] | undefined {
  const list = getList(a, 'want')
  if (!list) return undefined
  const out: Want[] = []
  for (const w of list.slice(0, 4)) {
    if (!(w instanceof Uint8Array) || w.length !== 2) continue
    const s = latin1(w)
    if ((s === 'n4' || s === 'n6') && !out.includes(s)) out.push(s)
  }
  return out
}

/** At most this many `values` entries are read: more cannot fit a packet of MAX_KRPC_PACKET anyway. */
const MAX_VALUES = 256

function decodeResponse(root: BDict, t: Uint8Array, v: Uint8Array | undefined): KrpcResponse {
  const r = getDict(root, 'r')
  if (!r) throw new FieldError('bad-field', "response without 'r'")
  const out: KrpcResponse = { kind: 'response', t, id: idField(r, 'id') }
  if (v) out.v = v
  const nodes = bytesField(r, 'nodes', 0, MAX_KRPC_PACKET, false)
  if (nodes) out.nodes = decodeCompactNodes(nodes, 4)
  const nodes6 = bytesField(r, 'nodes6', 0, MAX_KRPC_PACKET, false)
  if (nodes6) out.nodes6 = decodeCompactNodes(nodes6, 6)
  const token = bytesField(r, 'token', 1, MAX_TOKEN, false)
  if (token) out.token = token
  const values = getField(r, 'values')
  if (values !== undefined) {
    if (!Array.isArray(values)) throw new FieldError('bad-field', "'values' is not a list")
    const peers: PeerAddress[] = []
    for (const e of values.slice(0, MAX_VALUES)) {
      // Entries of another length are skipped rather than failing the reply: some clients pad.
      if (!(e instanceof Uint8Array)) continue
      const p = readAddress(e)
      if (p) peers.push(p)
    }
    out.values = peers
  }
  const ip = getBytes(root, 'ip')
  if (ip) {
    const a = readAddress(ip)
    if (a) out.ip = a
  }
  return out
}

function decodeError(root: BDict, t: Uint8Array): KrpcError {
  const e = getList(root, 'e')
  if (!e || e.length < 1) throw new FieldError('bad-field', "error without 'e'")
  const code = e[0]
  if (typeof code !== 'number' || !Number.isSafeInteger(code))
    throw new FieldError('bad-field', 'error code is not an integer')
  const text = e[1] instanceof Uint8Array ? latin1(e[1].subarray(0, MAX_ERROR_TEXT)) : ''
  return { kind: 'error', t, code, message: text }
}

// ---- encoding ---------------------------------------------------------------------------------

export function encodeQuery(q: KrpcQuery): Uint8Array {
  const a: BDict = { id: q.id }
  switch (q.method) {
    case 'ping':
      break
    case 'find_node':
      a.target = q.target
      break
    case 'get_peers':
      a.info_hash = q.infoHash
      break
    case 'announce_peer':
      a.info_hash = q.infoHash
      a.port = q.port
      a.token = q.token
      if (q.impliedPort) a.implied_port = 1
      break
  }
  if (q.want) a.want = q.want.map(ascii)
  const msg: BDict = { t: q.t, y: ascii('q'), q: ascii(q.method), a }
  if (q.ro) msg.ro = 1
  if (q.v) msg.v = q.v
  return encodeBencode(msg)
}

export function encodeResponse(r: KrpcResponse): Uint8Array {
  const body: BDict = { id: r.id }
  if (r.nodes) body.nodes = encodeCompactNodes(r.nodes, 4)
  if (r.nodes6) body.nodes6 = encodeCompactNodes(r.nodes6, 6)
  if (r.token) body.token = r.token
  if (r.values) {
    const vals: Uint8Array[] = []
    for (const p of r.values) {
      const a = compactAddress(p.ip, p.port)
      if (a) vals.push(a)
    }
    body.values = vals
  }
  const msg: BDict = { t: r.t, y: ascii('r'), r: body }
  if (r.ip) {
    const a = compactAddress(r.ip.ip, r.ip.port)
    if (a) msg.ip = a
  }
  if (r.v) msg.v = r.v
  return encodeBencode(msg)
}

export function encodeError(e: KrpcError): Uint8Array {
  return encodeBencode({ t: e.t, y: ascii('e'), e: [e.code, ascii(e.message.slice(0, MAX_ERROR_TEXT))] })
}
