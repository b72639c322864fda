import { describe, expect, it } from 'vitest'
import type { LogEntry } from '@tidepool/engine'
import { mergeLog } from './log-rows.ts'

const line = (n: number, message = `line ${n}`): LogEntry => ({
  at: 1000 + n,
  level: 'info',
  component: 'peer',
  message,
})
const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => line(from + i))

describe('mergeLog', () => {
  it('keeps the entries both answers share and appends the new ones', () => {
    const prev = lines(0, 5)
    const merged = mergeLog(prev, lines(0, 7))
    expect(merged).toEqual(lines(0, 7))
    for (let i = 0; i < 5; i++) expect(merged[i]).toBe(prev[i])
    expect(merged[5]).not.toBe(prev[4])
  })
  it('drops the lines that fell off the front of a capped log', () => {
    const prev = lines(0, 5)
    const merged = mergeLog(prev, lines(2, 8))
    expect(merged).toEqual(lines(2, 8))
    expect(merged[0]).toBe(prev[2])
    expect(merged[2]).toBe(prev[4])
  })
  it('an unchanged log is the same array; an empty one is empty', () => {
    const prev = lines(0, 3)
    expect(mergeLog(prev, lines(0, 3))).toBe(prev)
    expect(mergeLog(prev, [])).toEqual([])
  })
  it('a log with nothing in common (another torrent, a restarted engine) is taken as it is', () => {
    const prev = lines(0, 3)
    const next = [line(0, 'other'), line(1)]
    const merged = mergeLog(prev, next)
    expect(merged).toBe(next)
  })
  it('repeated identical lines still line up', () => {
    const same = (n: number) => ({ at: 5, level: 'warn' as const, component: 'tracker', message: `retry ${n % 2}` })
    const prev = [same(0), same(1), same(0), same(1)]
    const next = [same(0), same(1), same(0), same(1), line(9)]
    const merged = mergeLog(prev, next)
    expect(merged).toEqual(next)
    expect(merged[0]).toBe(prev[0])
    expect(merged[3]).toBe(prev[3])
  })
})
