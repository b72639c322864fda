import { utf8Encode } from '../util/bytes.ts'

const MAX_COMPONENT_BYTES = 255
const RESERVED = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?$/i

/** Cuts `s` to at most `max` UTF-8 bytes without splitting a code point. */
function capUtf8(s: string, max: number): string {
  if (utf8Encode(s).length <= max) return s
  let out = ''
  let n = 0
  for (const ch of s) {
    const len = utf8Encode(ch).length
    if (n + len > max) break
    out += ch
    n += len
  }
  return out
}

/** Caps length but keeps the extension when it is short, so 'very long name.mkv' stays playable. */
function capComponent(s: string): string {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: short strings need no encoding to check.
  if (s.length * 3 <= MAX_COMPONENT_BYTES || utf8Encode(s).length <= MAX_COMPONENT_BYTES) return s
  const dot = s.lastIndexOf('.')
  const ext = dot > 0 ? s.slice(dot) : ''
  if (ext && utf8Encode(ext).length <= 16)
    return capUtf8(s.slice(0, dot), MAX_COMPONENT_BYTES - utf8Encode(ext).length) + ext
  return capUtf8(s, MAX_COMPONENT_BYTES)
}

/**
 * Makes one path component safe on Linux, macOS and Windows. Returns '' when nothing usable
 * remains ('.', '..', empty, only control characters); callers drop such components.
 */
const NEEDS_WORK = /[\u0000-\u001f\u007f<>:"/\\|?*]|[. ]$|^\.\.?$|^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\.|$)/i

export function sanitizeComponent(raw: string): string {
  // Fast path: most names need nothing (this runs once per path component of huge torrents).
  if (raw !== '' && !NEEDS_WORK.test(raw)) return capComponent(raw)
  let s = raw.replace(/[\u0000-\u001f\u007f]/g, '')
  s = s.replace(/[<>:"/\\|?*]/g, '_')
  if (s === '.' || s === '..') return ''
  s = s.replace(/[. ]+$/, '') // Windows drops trailing dots and spaces
  if (s === '') return ''
  if (RESERVED.test(s)) {
    const dot = s.indexOf('.')
    s = dot < 0 ? `${s}_` : `${s.slice(0, dot)}_${s.slice(dot)}`
  }
  s = capComponent(s)
  return s.replace(/[. ]+$/, '')
}

/** Sanitizes each component and drops the empty ones. The result is relative and never escapes. */
export function sanitizePath(components: readonly string[]): string[] {
  const out: string[] = []
  for (const c of components) {
    const s = sanitizeComponent(c)
    if (s !== '') out.push(s)
  }
  return out
}
