/**
 * Piece length for a new torrent. Automatic choice as libtorrent 2.0 (and so qBittorrent) makes it:
 * the smallest power of two from 16 KiB up to 16 MiB whose piece list stays near twice the square root
 * of the total size, i.e. the largest i with total > (2 × 16 KiB·2^i / 20)² picks 16 KiB·2^(i+1).
 * Same inputs, same piece length, same info-hash as a torrent libtorrent made.
 */
export const MIN_PIECE_LENGTH = 16 * 1024
export const MAX_PIECE_LENGTH = 16 * 1024 * 1024

export function autoPieceLength(totalBytes: number): number {
  let length = MIN_PIECE_LENGTH
  // each threshold: the total at which the hash list of `length`-sized pieces reaches 2·sqrt(total) bytes
  while (length < MAX_PIECE_LENGTH && totalBytes > Math.round(((2 * length) / 20) ** 2)) length *= 2
  return length
}

/** Whether `n` is a piece length we create: a power of two in [16 KiB, 16 MiB]. */
export function isValidPieceLength(n: number): boolean {
  return Number.isInteger(n) && n >= MIN_PIECE_LENGTH && n <= MAX_PIECE_LENGTH && (n & (n - 1)) === 0
}

/**
 * Parses a piece size as people write it: bytes ("262144") or with a binary unit ("256K", "256KiB",
 * "4M", "4MiB"). Returns null when it is not a number of bytes.
 */
export function parsePieceLength(text: string): number | null {
  const m = /^\s*(\d+)\s*(k|kb|kib|m|mb|mib)?\s*$/i.exec(text)
  if (!m) return null
  const unit = (m[2] ?? '').toLowerCase()
  const scale = unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 * 1024 : 1
  return Number(m[1]) * scale
}
