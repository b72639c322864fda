/**
 * Seeding limits as qBittorrent has them: a seed stops (or is removed, the user's choice) once its share
 * ratio or its seeding time reaches a limit, set globally and overridable per torrent. Pure policy.
 */

import type { LimitOverride, TorrentSeedLimits } from '../api/types.ts'

export type { LimitOverride, TorrentSeedLimits }

export const GLOBAL_SEED_LIMITS: TorrentSeedLimits = { ratio: 'global', seedingTimeMin: 'global' }

export interface GlobalSeedLimits {
  /** 0 = no limit. */
  shareRatioLimit: number
  /** Minutes; 0 = no limit. */
  seedingTimeLimitMin: number
}

/**
 * The share ratio qBittorrent shows: uploaded over downloaded, where a torrent that downloaded under
 * 1% of its size (seeded from the start, or its totals were lost) counts its whole size as downloaded,
 * so that seeding what one already had still reaches a ratio.
 */
export function shareRatio(uploaded: number, downloaded: number, wantedBytes: number): number {
  const base = downloaded < wantedBytes / 100 ? wantedBytes : downloaded
  return base > 0 ? uploaded / base : 0
}

function effective(override: LimitOverride, global: number): number | null {
  if (override === 'none') return null
  if (override === 'global') return global > 0 ? global : null
  return override >= 0 ? override : null
}

/** Which limit, if any, a seed has reached. */
export function seedLimitReached(
  s: { ratio: number; seedingMs: number },
  own: TorrentSeedLimits,
  global: GlobalSeedLimits,
): 'ratio' | 'seeding-time' | null {
  const ratio = effective(own.ratio, global.shareRatioLimit)
  if (ratio !== null && s.ratio >= ratio) return 'ratio'
  const minutes = effective(own.seedingTimeMin, global.seedingTimeLimitMin)
  if (minutes !== null && s.seedingMs >= minutes * 60_000) return 'seeding-time'
  return null
}

/** A per-torrent override from untrusted input (saved state, the API); 'global' when malformed. */
export function parseOverride(v: unknown): LimitOverride {
  if (v === 'none' || v === 'global') return v
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v
  return 'global'
}
