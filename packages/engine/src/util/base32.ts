// RFC 4648 base32 (the alphabet magnet links use for 32-character info-hashes).
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

export function encodeBase32(bytes: Uint8Array): string {
  let out = ''
  let bits = 0
  let value = 0
  for (const b of bytes) {
    value = ((value << 8) | b) & 0xffff
    bits += 8
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31]
  while (out.length % 8 !== 0) out += '='
  return out
}

/** Decodes base32, either case, padding optional. Throws on characters outside the alphabet. */
export function decodeBase32(text: string): Uint8Array {
  const s = text.replace(/=+$/, '').toUpperCase()
  const out = new Uint8Array(Math.floor((s.length * 5) / 8))
  let bits = 0
  let value = 0
  let j = 0
  for (let i = 0; i < s.length; i++) {
    const v = ALPHABET.indexOf(s[i])
    if (v < 0) throw new Error(`base32: invalid character at offset ${i}`)
    value = ((value << 5) | v) & 0xffff
    bits += 5
    if (bits >= 8) {
      out[j++] = (value >>> (bits - 8)) & 0xff
      bits -= 8
    }
  }
  return out
}
