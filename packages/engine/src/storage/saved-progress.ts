/**
 * A torrent's size and progress as its fast-resume record left them, for a torrent whose storage has
 * not been opened since the engine started (restored paused or queued): what the list shows instead of
 * "?" and 0%. Display only: nothing here is trusted for downloading or seeding, which open the
 * storage and check the files first (resume-state.ts).
 */
import type { FilePriority } from '../api/types.ts'
import type { StateStore } from '../platform/ports.ts'
import type { StorageLayout } from './file-map.ts'
import { piecePriorities, wantedBytes } from './piece-priorities.ts'
import { decodeResume, resumeKey } from './resume-state.ts'

export interface SavedProgress {
  /** Bytes of the pieces the saved file priorities want (as Downloader.selectedBytes counts them). */
  selected: number
  /** Of those, the bytes of pieces the record says were verified. */
  verified: number
}

/**
 * Reads `infoHash`'s resume record; null when there is none or it does not fit the layout. `priorities`
 * (a selection made when adding) wins over the record's, as it does when the storage opens.
 */
export async function loadSavedProgress(
  state: StateStore,
  infoHash: string,
  layout: StorageLayout,
  priorities?: readonly FilePriority[],
): Promise<SavedProgress | null> {
  const raw = await state.get(resumeKey(infoHash))
  const saved = raw && decodeResume(raw, layout.pieceCount, layout.files.length)
  if (!saved) return null
  return progressOf(layout, priorities ?? saved.priorities, saved.have)
}

/**
 * Size and progress under these file priorities, with `have` (a BEP 3 bitfield) the verified pieces:
 * none for a torrent never checked (added while the queue was full).
 */
export function progressOf(
  layout: StorageLayout,
  priorities: readonly FilePriority[],
  have: Uint8Array | null = null,
): SavedProgress {
  return wantedBytes(
    layout,
    piecePriorities(layout, priorities),
    (p) => !!have && (have[p >> 3]! & (0x80 >> (p & 7))) !== 0,
  )
}
