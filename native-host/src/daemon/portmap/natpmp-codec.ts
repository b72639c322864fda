/**
 * NAT-PMP packets (RFC 6886): external-address and map requests and their responses. Pure: bytes in,
 * typed values out. Responses are parsed strictly (length, version, opcode) so a stray datagram on the
 * client's port is never taken for an answer.
 */

export const NATPMP_PORT = 5351
export const NATPMP_VERSION = 0

export const PmpOp = { externalAddress: 0, mapUdp: 1, mapTcp: 2 } as const

/** Result codes of RFC 6886 §3.5. */
export const PMP_RESULTS: Record<number, string> = {
  0: 'success',
  1: 'unsupported version',
  2: 'not authorized or refused (NAT-PMP disabled on the gateway?)',
  3: 'network failure (the gateway has no external address yet?)',
  4: 'out of resources (no ports left)',
  5: 'unsupported opcode',
}

export function encodePmpExternalAddress(): Uint8Array {
  return Uint8Array.of(NATPMP_VERSION, PmpOp.externalAddress)
}

/** A map request; lifetime 0 with external port 0 deletes the mapping (RFC 6886 §3.4). */
export function encodePmpMap(
  protocol: 'tcp' | 'udp',
  internalPort: number,
  externalPort: number,
  lifetimeSec: number,
): Uint8Array {
  const b = new Uint8Array(12)
  const v = new DataView(b.buffer)
  b[0] = NATPMP_VERSION
  b[1] = protocol === 'udp' ? PmpOp.mapUdp : PmpOp.mapTcp
  v.setUint16(4, internalPort)
  v.setUint16(6, externalPort)
  v.setUint32(8, lifetimeSec)
  return b
}

export type PmpResponse =
  | { op: 'external-address'; result: number; epoch: number; externalAddress: string }
  | {
      op: 'map'
      protocol: 'tcp' | 'udp'
      result: number
      epoch: number
      internalPort: number
      externalPort: number
      lifetimeSec: number
    }
  /** Any error answer too short for its opcode's fields (e.g. the 8-byte UNSUPP_VERSION reply to PCP). */
  | { op: 'error'; requestOp: number; result: number; epoch: number }

/** Parses a NAT-PMP response; null when the bytes are not one. */
export function decodePmpResponse(b: Uint8Array): PmpResponse | null {
  if (b.length < 8 || b[0] !== NATPMP_VERSION || b[1] < 128) return null
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength)
  const requestOp = b[1] - 128
  const result = v.getUint16(2)
  const epoch = v.getUint32(4)
  if (requestOp === PmpOp.externalAddress && b.length >= 12) {
    return { op: 'external-address', result, epoch, externalAddress: `${b[8]}.${b[9]}.${b[10]}.${b[11]}` }
  }
  if ((requestOp === PmpOp.mapUdp || requestOp === PmpOp.mapTcp) && b.length >= 16) {
    return {
      op: 'map',
      protocol: requestOp === PmpOp.mapUdp ? 'udp' : 'tcp',
      result,
      epoch,
      internalPort: v.getUint16(8),
      externalPort: v.getUint16(10),
      lifetimeSec: v.getUint32(12),
    }
  }
  if (result !== 0) return { op: 'error', requestOp, result, epoch }
  return null
}

export function pmpResultText(code: number): string {
  return PMP_RESULTS[code] ?? `result code ${code}`
}
