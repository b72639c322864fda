/**
 * chrome.runtime ports carry JSON, not structured clones: a Uint8Array would arrive as {"0":…}.
 * encode() turns typed arrays and ArrayBuffers into {$bytes: base64} (deeply) and decode() reverses
 * it. Payloads over the port are small (rows, a .torrent file); bulk data never crosses it.
 */
const TAG = '$bytes'
const MAX_DEPTH = 32

function toBase64(u8: Uint8Array): string {
  let s = ''
  for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode(...u8.subarray(i, i + 0x8000))
  return btoa(s)
}

function fromBase64(b64: string): Uint8Array {
  const s = atob(b64)
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i)
  return out
}

export function encode(v: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH || v === null || typeof v !== 'object') return v
  if (v instanceof Uint8Array) return { [TAG]: toBase64(v) }
  if (v instanceof ArrayBuffer) return { [TAG]: toBase64(new Uint8Array(v)), ab: 1 }
  if (ArrayBuffer.isView(v)) return { [TAG]: toBase64(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) }
  if (Array.isArray(v)) return v.map((x) => encode(x, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [k, x] of Object.entries(v)) out[k] = encode(x, depth + 1)
  return out
}

export function decode(v: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH || v === null || typeof v !== 'object') return v
  if (Array.isArray(v)) return v.map((x) => decode(x, depth + 1))
  const o = v as Record<string, unknown>
  if (typeof o[TAG] === 'string') {
    const u8 = fromBase64(o[TAG] as string)
    return o.ab ? u8.buffer : u8
  }
  const out: Record<string, unknown> = {}
  for (const [k, x] of Object.entries(o)) out[k] = decode(x, depth + 1)
  return out
}
