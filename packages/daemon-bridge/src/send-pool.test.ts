import { describe, expect, it } from 'vitest'
import { SendPool } from './send-pool.ts'

describe('SendPool', () => {
  it('hands out at most maxBuffers, refuses oversize frames, reuses returned buffers', () => {
    const p = new SendPool(100, 2)
    expect(p.take(101)).toBeNull()
    const a = p.take(100)!
    const b = p.take(10)!
    expect(a).not.toBe(b)
    expect(p.take(10)).toBeNull()
    p.give(a)
    expect(p.take(50)).toBe(a)
  })
})
