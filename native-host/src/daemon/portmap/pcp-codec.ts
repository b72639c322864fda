/**
 * PCP MAP packets (RFC 6887 §7, §11) for IPv4 clients: addresses travel as IPv4-mapped IPv6
 * (::ffff:a.b.c.d). Pure codec; the nonce ties a response to our request (§11.1).
 */

export const PCP_VERSION = 2
export const PCP_OP_MAP = 1
export const PCP_MAP_REQUEST_BYTES = 60

/** Result codes of RFC 6887 §7.4. */
export const PCP_RESULTS: Record<number, string> = {
  0: 'success',
  1: 'unsupported version',
  2: 'not authorized',
  3: 'malformed request',
  4: 'unsupported opcode',
  5: 'unsupported option',
  6: 'malformed option',
  7: 'network failure',
  8: 'no resources',
  9: 'unsupported protocol',
  10: 'user exceeded quota',
  11: 'cannot provide the external address/port',
  12: 'address mismatch (a NAT between us and the gateway?)',
  13: 'excessive remote peers',
}

const PROTO = { tcp: 6, udp: 17 } as const

function writeMappedV4(b: Uint8Array, at: number, ip: string): void {
  b.fill(0, at, at + 16)
  b[at + 10] = 0xff
  b[at + 11] = 0xff
  const parts = ip.split('.').map(Number)
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    throw new Error(`not an IPv4 address: ${ip}`)
  b.set(parts, at + 12)
}

function readAddress(b: Uint8Array, at: number): string {
  const mapped = b.subarray(at, at + 10).every((x) => x === 0) && b[at + 10] === 0xff && b[at + 11] === 0xff
  if (mapped) return `${b[at + 12]}.${b[at + 13]}.${b[at + 14]}.${b[at + 15]}`
  const groups: string[] = []
  for (let i = 0; i < 16; i += 2) groups.push(((b[at + i] << 8) | b[at + i + 1]).toString(16))
  return groups.join(':')
}

export interface PcpMapRequest {
  nonce: Uint8Array // 12 bytes
  protocol: 'tcp' | 'udp'
  internalPort: number
  suggestedExternalPort: number
  lifetimeSec: number
  /** Our address as the gateway sees it (the source address of the request). */
  clientAddress: string
}

export function encodePcpMap(r: PcpMapRequest): Uint8Array {
  if (r.nonce.length !== 12) throw new Error('PCP nonce must be 12 bytes')
  const b = new Uint8Array(PCP_MAP_REQUEST_BYTES)
  const v = new DataView(b.buffer)
  b[0] = PCP_VERSION
  b[1] = PCP_OP_MAP // R bit 0: request
  v.setUint32(4, r.lifetimeSec)
  writeMappedV4(b, 8, r.clientAddress)
  b.set(r.nonce, 24)
  b[36] = PROTO[r.protocol]
  v.setUint16(40, r.internalPort)
  v.setUint16(42, r.suggestedExternalPort)
  writeMappedV4(b, 44, '0.0.0.0') // no preference for the external address
  return b
}

export type PcpResponse =
  | {
      op: 'map'
      result: number
      lifetimeSec: number
      epoch: number
      nonce: Uint8Array
      protocol: 'tcp' | 'udp' | number
      internalPort: number
      externalPort: number
      externalAddress: string
    }
  /** A response without a MAP body (an error to another opcode, or a short error answer). */
  | { op: 'other'; opcode: number; result: number; lifetimeSec: number; epoch: number }

/** Parses a PCP response; null when the bytes are not one (wrong version, not a response, too short). */
export function decodePcpResponse(b: Uint8Array): PcpResponse | null {
  if (b.length < 24 || b[0] !== PCP_VERSION || (b[1] & 0x80) === 0) return null
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength)
  const opcode = b[1] & 0x7f
  const result = b[3]
  const lifetimeSec = v.getUint32(4)
  const epoch = v.getUint32(8)
  if (opcode !== PCP_OP_MAP || b.length < 60) return { op: 'other', opcode, result, lifetimeSec, epoch }
  const p = b[36]
  return {
    op: 'map',
    result,
    lifetimeSec,
    epoch,
    nonce: b.slice(24, 36),
    protocol: p === 6 ? 'tcp' : p === 17 ? 'udp' : p,
    internalPort: v.getUint16(40),
    externalPort: v.getUint16(42),
    externalAddress: readAddress(b, 44),
  }
}

export function pcpResultText(code: number): string {
  return PCP_RESULTS[code] ?? `result code ${code}`
}
