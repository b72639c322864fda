import { describe, expect, it } from 'vitest'
import { MemoryStateStore } from '../platform/memory-state.ts'
import type { StorageLayout } from './file-map.ts'
import { encodeResume, resumeKey } from './resume-state.ts'
import { loadSavedProgress } from './saved-progress.ts'

const HASH = 'ab'.repeat(20)
// pieces of 10 bytes; a.bin is pieces 0-2 (30 bytes), b.bin pieces 3-4 (15 bytes: the last piece is 5)
const layout: StorageLayout = {
  files: [
    { path: 'a.bin', length: 30, offset: 0 },
    { path: 'b.bin', length: 15, offset: 30 },
  ],
  pieceLength: 10,
  pieceCount: 5,
  length: 45,
  pieceHashes: new Uint8Array(100),
}

async function storeWith(have: number, priorities: Array<'normal' | 'skip'>, pieceCount = 5) {
  const state = new MemoryStateStore()
  await state.set(
    resumeKey(HASH),
    encodeResume({
      version: 1,
      pieceCount,
      have: new Uint8Array([have]),
      files: [null, null],
      priorities,
      savedAt: 0,
    }),
  )
  return state
}

describe('loadSavedProgress', () => {
  it('counts the wanted pieces and the verified ones among them, as the downloader does', async () => {
    // pieces 0, 1 and 4 verified (bits 0b11001000)
    const state = await storeWith(0b11001000, ['normal', 'normal'])
    expect(await loadSavedProgress(state, HASH, layout)).toEqual({ selected: 45, verified: 25 })
  })

  it("follows the record's priorities, and a selection made when adding over them", async () => {
    const state = await storeWith(0b11001000, ['normal', 'skip'])
    expect(await loadSavedProgress(state, HASH, layout)).toEqual({ selected: 30, verified: 20 })
    expect(await loadSavedProgress(state, HASH, layout, ['skip', 'normal'])).toEqual({ selected: 15, verified: 5 })
  })

  it('is null without a record, or with one made for another layout', async () => {
    expect(await loadSavedProgress(new MemoryStateStore(), HASH, layout)).toBeNull()
    expect(await loadSavedProgress(await storeWith(0xff, ['normal', 'normal'], 6), HASH, layout)).toBeNull()
  })
})
