/** 16-bit sequence numbers and 32-bit microsecond timestamps, both compared across wraparound. */

export const SEQ_MASK = 0xffff

export function seqAdd(a: number, n: number): number {
  return (a + n) & SEQ_MASK
}

/** a - b as a signed distance in [-32768, 32767]. */
export function seqDiff(a: number, b: number): number {
  const d = (a - b) & SEQ_MASK
  return d >= 0x8000 ? d - 0x10000 : d
}

export function seqLess(a: number, b: number): boolean {
  return seqDiff(a, b) < 0
}

/** a - b of two uint32 values as a signed 32-bit distance. */
export function u32Diff(a: number, b: number): number {
  return (a - b) | 0
}
