/**
 * A torrent's recently useful peers, saved next to its resume data so a restart dials them first,
 * before any tracker or DHT answers. JSON under `peers/<info-hash>`; bounded on load and save.
 */
import type { SavedPeer } from '../pool/peer-pool.ts'
import type { StateStore } from '../platform/ports.ts'
import { utf8Decode, utf8Encode } from '../util/bytes.ts'

export const MAX_SAVED_PEERS = 50
/** Peers not seen for this long are not worth a first dial. */
export const SAVED_PEER_MAX_AGE_MS = 7 * 24 * 3600_000

export const savedPeersKey = (infoHashHex: string): string => `peers/${infoHashHex.toLowerCase()}`

export function saveSavedPeers(state: StateStore, infoHashHex: string, peers: readonly SavedPeer[]): Promise<void> {
  return state.set(savedPeersKey(infoHashHex), utf8Encode(JSON.stringify(peers.slice(0, MAX_SAVED_PEERS))))
}

/** The saved peers, most useful first; [] when none or unreadable (a restart then just waits for trackers). */
export async function loadSavedPeers(state: StateStore, infoHashHex: string, now: number): Promise<SavedPeer[]> {
  const raw = await state.get(savedPeersKey(infoHashHex))
  if (!raw) return []
  let list: unknown
  try {
    list = JSON.parse(utf8Decode(raw))
  } catch {
    return []
  }
  if (!Array.isArray(list)) return []
  const out: SavedPeer[] = []
  for (const e of list.slice(0, MAX_SAVED_PEERS)) {
    if (!e || typeof e !== 'object') continue
    const p = e as Record<string, unknown>
    if (
      typeof p.ip !== 'string' ||
      p.ip.length > 64 ||
      !Number.isInteger(p.port) ||
      (p.port as number) < 1 ||
      (p.port as number) > 65535
    )
      continue
    const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0)
    const lastSeen = num(p.lastSeen)
    if (now - lastSeen > SAVED_PEER_MAX_AGE_MS) continue
    out.push({
      ip: p.ip,
      port: p.port as number,
      sources: Array.isArray(p.sources) ? p.sources.filter((s): s is string => typeof s === 'string').slice(0, 8) : [],
      downloaded: num(p.downloaded),
      uploaded: num(p.uploaded),
      lastSeen,
      ...(p.seed === true ? { seed: true } : {}),
    })
  }
  return out
}
