import { describe, expect, it } from 'vitest'
import { allowedFastSet } from './allowed-fast.ts'

describe('allowedFastSet (BEP 6)', () => {
  const ih = new Uint8Array(20).fill(0xaa)
  it('matches the vectors in BEP 6', async () => {
    expect(await allowedFastSet('80.4.4.200', ih, 1313, 7)).toEqual([1059, 431, 808, 1217, 287, 376, 1188])
    expect(await allowedFastSet('80.4.4.200', ih, 1313, 9)).toEqual([1059, 431, 808, 1217, 287, 376, 1188, 353, 508])
  })
  it('depends only on the /24 network, and is empty for IPv6 or no pieces', async () => {
    expect(await allowedFastSet('80.4.4.1', ih, 1313, 7)).toEqual(await allowedFastSet('80.4.4.200', ih, 1313, 7))
    expect(await allowedFastSet('::1', ih, 1313, 7)).toEqual([])
    expect(await allowedFastSet('80.4.4.1', ih, 0, 7)).toEqual([])
    expect((await allowedFastSet('80.4.4.1', ih, 3, 10)).sort()).toEqual([0, 1, 2])
  })
})
