import { describe, expect, it } from 'vitest'
import {
  formatBytes,
  formatClock,
  formatEta,
  formatPercent,
  formatRate,
  formatWhen,
  parseSize,
  plainError,
} from './format.ts'

describe('format', () => {
  it('formats a log time as local time of day with milliseconds', () => {
    expect(formatClock(new Date(2026, 11, 7, 6, 5, 4, 32).getTime())).toBe('06:05:04.032')
    expect(formatClock(new Date(2026, 11, 7, 23, 59, 59, 999).getTime())).toBe('23:59:59.999')
  })
  it('formats bytes with binary units', () => {
    expect(formatBytes(0)).toBe('0 B')
    expect(formatBytes(1023)).toBe('1023 B')
    expect(formatBytes(1536)).toBe('1.50 KiB')
    expect(formatBytes(150 * 1024 ** 2)).toBe('150 MiB')
    expect(formatBytes(-1)).toBe('–')
  })
  it('hides idle rates', () => {
    expect(formatRate(0)).toBe('')
    expect(formatRate(2048)).toBe('2.00 KiB/s')
  })
  it('never rounds an incomplete torrent to 100%', () => {
    expect(formatPercent(0.99999)).toBe('99.9%')
    expect(formatPercent(1)).toBe('100.0%')
    expect(formatPercent(0.5)).toBe('50.0%')
  })
  it('formats ETA', () => {
    expect(formatEta(null)).toBe('∞')
    expect(formatEta(5.2)).toBe('6s')
    expect(formatEta(125)).toBe('2m 5s')
    expect(formatEta(3 * 3600 + 120)).toBe('3h 2m')
    expect(formatEta(1e9)).toBe('∞')
  })
  it('formats relative times', () => {
    expect(formatWhen(null, 0)).toBe('')
    expect(formatWhen(61_000, 1_000)).toBe('in 1m 0s')
    expect(formatWhen(1_000, 31_000)).toBe('30s ago')
  })
  it('parses sizes', () => {
    expect(parseSize('0')).toBe(0)
    expect(parseSize('512k')).toBe(512 * 1024)
    expect(parseSize('1.5 MiB')).toBe(1.5 * 1024 ** 2)
    expect(parseSize('lots')).toBeNull()
  })
})

describe('plainError', () => {
  it('replaces codes people cannot act on with what to do next, and passes the rest', () => {
    expect(plainError('bad-path: unknown root /x')).toMatch(/Choose a download folder in Settings/)
    expect(plainError('io no-space: write failed')).toMatch(/disk is full/)
    expect(plainError('tracker said no')).toBe('tracker said no')
  })
})
