import type { PiecePicker } from '../picker/piece-picker.ts'
import type { PlannedBlock } from './webseed-plan.ts'

/** What a web seed uses of the picker. */
export type RunPicker = Pick<PiecePicker, 'pickBlocks' | 'releaseBlock' | 'blockCount' | 'pieceCount'>

const BLOCK = 16 * 1024
const HAS_ALL = { has: () => true }

/**
 * Asks the picker for about `bytes` of blocks for a web seed, as a run of adjacent pieces: first
 * one piece's worth as the picker chooses (a started piece, or the rarest/random one), then the
 * pieces after it, then those before it, one by one while the picker will give them whole. An HTTP server serves any
 * range equally fast, so adjacent pieces cost one request instead of one each. Blocks `allow`
 * refuses (a suspect piece being retried by someone else) go back at once.
 */
export function pickRun(
  picker: RunPicker,
  key: string,
  bytes: number,
  allow: (piece: number) => boolean = () => true,
): PlannedBlock[] {
  const out: PlannedBlock[] = []
  const keep = (blocks: PlannedBlock[]) => {
    let kept = 0
    for (const b of blocks) {
      if (allow(b.piece)) {
        out.push(b)
        kept++
      } else picker.releaseBlock(key, b.piece, b.begin)
    }
    return kept
  }
  const initial = picker.pickBlocks(key, HAS_ALL, maxBlocks(picker, bytes))
  if (keep(initial) === 0) return out
  let last = Math.max(...out.map((b) => b.piece))
  let first = Math.min(...out.map((b) => b.piece))
  let total = out.reduce((n, b) => n + b.length, 0)
  /** Takes piece `p` whole, or nothing of it. */
  const takeWhole = (p: number): boolean => {
    const want = picker.blockCount(p)
    const blocks = picker.pickBlocks(key, { has: (q) => q === p }, want)
    if (blocks.length !== want || blocks.some((b) => b.piece !== p)) {
      for (const b of blocks) picker.releaseBlock(key, b.piece, b.begin)
      return false
    }
    if (keep(blocks) < want) return false
    total += blocks.reduce((n, b) => n + b.length, 0)
    return true
  }
  // forward, then backward from where the picker started (it may start near the end); bounded:
  // each round takes a whole new piece or stops
  for (let guard = 0; guard < 1024 && total < bytes && last + 1 < picker.pieceCount && takeWhole(last + 1); guard++)
    last++
  for (let guard = 0; guard < 1024 && total < bytes && first > 0 && takeWhole(first - 1); guard++) first--
  return out
}

/** The first pick asks for one piece's blocks at most: the rest is grown as a run after it. */
function maxBlocks(picker: RunPicker, bytes: number): number {
  return Math.max(1, Math.min(Math.floor(bytes / BLOCK), picker.blockCount(0)))
}
