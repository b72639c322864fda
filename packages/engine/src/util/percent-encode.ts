const HEX = '0123456789ABCDEF'

/** Percent-encodes raw bytes for a URL query (tracker info_hash, peer_id): unreserved bytes stay as-is. */
export function percentEncodeBytes(bytes: Uint8Array): string {
  let out = ''
  for (const b of bytes) {
    const unreserved =
      (b >= 0x30 && b <= 0x39) ||
      (b >= 0x41 && b <= 0x5a) ||
      (b >= 0x61 && b <= 0x7a) ||
      b === 0x2d ||
      b === 0x2e ||
      b === 0x5f ||
      b === 0x7e
    out += unreserved ? String.fromCharCode(b) : `%${HEX[b >> 4]}${HEX[b & 15]}`
  }
  return out
}

/** Inverse of percentEncodeBytes ('+' stays '+'). Throws on a broken escape. */
export function percentDecodeBytes(s: string): Uint8Array {
  const out: number[] = []
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 0x25) {
      const h = s.slice(i + 1, i + 3)
      if (!/^[0-9a-fA-F]{2}$/.test(h)) throw new Error(`percent: bad escape at offset ${i}`)
      out.push(parseInt(h, 16))
      i += 2
    } else if (c < 0x80) {
      out.push(c)
    } else {
      for (const b of new TextEncoder().encode(s[i])) out.push(b)
    }
  }
  return new Uint8Array(out)
}
