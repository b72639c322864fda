import { describe, expect, it } from 'vitest'
import { sanitizeComponent, sanitizePath } from './sanitize-path.ts'
import { utf8Encode } from '../util/bytes.ts'

describe('sanitizeComponent', () => {
  it('keeps every Unicode script intact', () => {
    for (const s of [
      'Музыка',
      '日本語 フォルダ',
      'مرحبا بالعالم',
      'Ελληνικά',
      'हिन्दी',
      '🎵 song 🎶.mp3',
      '한국어.txt',
      'naïve café',
    ])
      expect(sanitizeComponent(s)).toBe(s)
  })
  it('drops traversal and empty components', () => {
    expect(sanitizePath(['..', 'a', '.', '', 'b'])).toEqual(['a', 'b'])
    expect(sanitizePath(['..', '..', 'etc', 'passwd'])).toEqual(['etc', 'passwd'])
    expect(sanitizePath(['...'])).toEqual([])
    expect(sanitizePath(['\u0000\u0001'])).toEqual([])
  })
  it('neutralises separators, drive letters and Windows-illegal characters', () => {
    expect(sanitizeComponent('/etc/passwd')).toBe('_etc_passwd')
    expect(sanitizeComponent('C:\\Windows\\x')).toBe('C__Windows_x')
    expect(sanitizeComponent('a<b>c:d"e|f?g*h')).toBe('a_b_c_d_e_f_g_h')
    expect(sanitizeComponent('tab\there\nnl\u007f')).toBe('tabherenl')
  })
  it('trims trailing dots and spaces', () => {
    expect(sanitizeComponent('name. . ')).toBe('name')
    expect(sanitizeComponent(' lead')).toBe(' lead')
  })
  it('renames reserved Windows device names, with or without extension', () => {
    expect(sanitizeComponent('CON')).toBe('CON_')
    expect(sanitizeComponent('nul.txt')).toBe('nul_.txt')
    expect(sanitizeComponent('com1.tar.gz')).toBe('com1_.tar.gz')
    expect(sanitizeComponent('LPT9')).toBe('LPT9_')
    expect(sanitizeComponent('CONSOLE')).toBe('CONSOLE')
    expect(sanitizeComponent('com0')).toBe('com0')
  })
  it('caps length at 255 UTF-8 bytes without splitting characters, keeping the extension', () => {
    const long = `${'я'.repeat(300)}.mkv`
    const s = sanitizeComponent(long)
    expect(utf8Encode(s).length).toBeLessThanOrEqual(255)
    expect(s.endsWith('.mkv')).toBe(true)
    expect(s).not.toContain('\uFFFD')
    const emoji = sanitizeComponent('😀'.repeat(100))
    expect(utf8Encode(emoji).length).toBe(252)
    expect([...emoji].every((c) => c === '😀')).toBe(true)
  })
  it('never yields a component that escapes or is empty-but-kept', () => {
    const hostile = ['..', '../..', '..\\..', 'a/../../b', '\u0000..', '. .', 'x\u0000/y', '  ', ':', '....//']
    for (const h of hostile) {
      for (const c of sanitizePath([h])) {
        expect(c).not.toBe('')
        expect(c).not.toBe('..')
        expect(c).not.toMatch(/[/\\\u0000]/)
      }
    }
  })
})
