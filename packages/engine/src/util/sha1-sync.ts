/**
 * Synchronous SHA-1 and HMAC-SHA1 over small inputs: DHT announce tokens and the hashes of the MSE
 * handshake.
 *
 * Why not util/sha1.ts or crypto.subtle: both are asynchronous (WebCrypto). A token is made for every
 * get_peers reply and checked for every announce_peer; an async hash would make each reply wait on a
 * promise (a thread hop in Node) and would keep the DHT from running on a simulated clock, where a
 * reply must be sent within the event that received the query. The MSE handshake hashes a few
 * hundred bytes between two reads, and a synchronous hash keeps its state machine sans-I/O and
 * synchronous. The inputs are small, so a plain-JS SHA-1 costs about a microsecond.
 */
function rotl(x: number, n: number): number {
  return (x << n) | (x >>> (32 - n))
}

export function sha1Sync(data: Uint8Array): Uint8Array {
  const bitLen = data.length * 8
  const padded = new Uint8Array(((data.length + 9 + 63) >> 6) << 6)
  padded.set(data)
  padded[data.length] = 0x80
  const dv = new DataView(padded.buffer)
  dv.setUint32(padded.length - 8, Math.floor(bitLen / 2 ** 32))
  dv.setUint32(padded.length - 4, bitLen >>> 0)
  let h0 = 0x67452301,
    h1 = 0xefcdab89,
    h2 = 0x98badcfe,
    h3 = 0x10325476,
    h4 = 0xc3d2e1f0
  const w = new Int32Array(80)
  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = dv.getInt32(off + i * 4)
    for (let i = 16; i < 80; i++) w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1)
    let a = h0,
      b = h1,
      c = h2,
      d = h3,
      e = h4
    for (let i = 0; i < 80; i++) {
      let f: number, k: number
      if (i < 20) [f, k] = [(b & c) | (~b & d), 0x5a827999]
      else if (i < 40) [f, k] = [b ^ c ^ d, 0x6ed9eba1]
      else if (i < 60) [f, k] = [(b & c) | (b & d) | (c & d), 0x8f1bbcdc]
      else [f, k] = [b ^ c ^ d, 0xca62c1d6]
      const temp = (rotl(a, 5) + f + e + k + w[i]) | 0
      e = d
      d = c
      c = rotl(b, 30)
      b = a
      a = temp
    }
    h0 = (h0 + a) | 0
    h1 = (h1 + b) | 0
    h2 = (h2 + c) | 0
    h3 = (h3 + d) | 0
    h4 = (h4 + e) | 0
  }
  const out = new Uint8Array(20)
  const ov = new DataView(out.buffer)
  ov.setInt32(0, h0)
  ov.setInt32(4, h1)
  ov.setInt32(8, h2)
  ov.setInt32(12, h3)
  ov.setInt32(16, h4)
  return out
}

/** HMAC-SHA1 (RFC 2104) with a key of at most 64 bytes. */
export function hmacSha1(key: Uint8Array, message: Uint8Array): Uint8Array {
  if (key.length > 64) throw new RangeError('HMAC key longer than one block')
  const inner = new Uint8Array(64 + message.length)
  const outer = new Uint8Array(64 + 20)
  for (let i = 0; i < 64; i++) {
    const k = i < key.length ? key[i] : 0
    inner[i] = k ^ 0x36
    outer[i] = k ^ 0x5c
  }
  inner.set(message, 64)
  outer.set(sha1Sync(inner), 64)
  return sha1Sync(outer)
}
