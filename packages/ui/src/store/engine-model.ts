/**
 * Polls the engine (~1 Hz) and applies the answers to solid stores once per animation frame.
 * Rows are diffed by key (apply-rows.ts: in-place field updates, keyed `reconcile` on reorder), so a table cell re-renders only when its value changed.
 * The detail rows shown in virtual tables (peers, swarm, files) are patched without per-field notifications:
 * read them through a VirtualTable or depend on `version()`.
 * Never two polls in flight: a slow engine slows the poll instead of piling up calls.
 */
import { batch, createSignal } from 'solid-js'
import { createStore } from 'solid-js/store'
import { applyRows, patchRowsInPlace } from './apply-rows.ts'
import { mergeLog } from './log-rows.ts'
import type {
  EngineApi,
  EngineStatus,
  FileRow,
  LogEntry,
  PeerRow,
  PiecesView,
  SwarmRow,
  TorrentDetail,
  TorrentSummary,
  TrackerRow,
} from '@tidepool/engine'

export type DetailPart = keyof TorrentDetail
/** What the detail pane can watch: a part of the torrent's detail, or its log. */
export type WatchPart = DetailPart | 'log'

export interface Scheduler {
  every(ms: number, fn: () => void): () => void
  /** Runs fn before the next paint (requestAnimationFrame in the browser). */
  frame(fn: () => void): void
}

export const browserScheduler: Scheduler = {
  every(ms, fn) {
    const id = setInterval(fn, ms)
    return () => clearInterval(id)
  },
  frame(fn) {
    // Hidden tabs get no animation frames: apply right away so state is current when shown.
    if (typeof document !== 'undefined' && document.visibilityState === 'hidden') fn()
    else requestAnimationFrame(() => fn())
  },
}

export interface RateSample {
  t: number
  down: number
  up: number
}

interface DetailStore {
  peers: PeerRow[]
  swarm: SwarmRow[]
  files: FileRow[]
  trackers: TrackerRow[]
}

type DetailAnswer = Partial<TorrentDetail> & { log?: LogEntry[]; logError?: string }

interface Pending {
  status?: EngineStatus
  torrents?: TorrentSummary[]
  detail?: DetailAnswer
  detailFor?: string
}

const HISTORY = 120

export function createEngineModel(
  api: EngineApi,
  opts: { intervalMs?: number; scheduler?: Scheduler; now?: () => number } = {},
) {
  const scheduler = opts.scheduler ?? browserScheduler
  const now = opts.now ?? (() => Date.now())
  const [status, setStatus] = createSignal<EngineStatus | null>(null)
  const [apiError, setApiError] = createSignal<string | null>(null)
  const [torrents, setTorrents] = createStore<TorrentSummary[]>([])
  const [detail, setDetail] = createStore<DetailStore>({ peers: [], swarm: [], files: [], trackers: [] })
  const [pieces, setPieces] = createSignal<PiecesView | null>(null)
  // The watched torrent's log (oldest first) while the log is watched; null until the first answer.
  const [log, setLog] = createSignal<readonly LogEntry[] | null>(null)
  const [logError, setLogError] = createSignal<string | null>(null)
  const [history, setHistory] = createSignal<RateSample[]>([])
  // Rates of the torrent whose details are open (reset when another one is opened).
  const [torrentHistory, setTorrentHistory] = createSignal<RateSample[]>([])
  // Bumped after each applied update: sorters read raw arrays and depend on this instead of every field.
  const [version, setVersion] = createSignal(0)
  const [loaded, setLoaded] = createSignal(false)

  let target: { infoHash: string; part: WatchPart } | null = null
  let inFlight = false
  let pending: Pending | null = null
  let framePending = false
  let disposed = false

  function apply(): void {
    framePending = false
    const p = pending
    pending = null
    if (!p || disposed) return
    batch(() => {
      if (p.status) {
        setStatus(p.status)
        const s = p.status
        setHistory((h) => [...h.slice(-(HISTORY - 1)), { t: now(), down: s.downloadRate, up: s.uploadRate }])
      }
      if (p.torrents) {
        const focused = target ? p.torrents.find((t) => t.infoHash === target!.infoHash) : undefined
        if (focused)
          setTorrentHistory((h) => [
            ...h.slice(-(HISTORY - 1)),
            { t: now(), down: focused.downloadRate, up: focused.uploadRate },
          ])
        setTorrents(applyRows(torrents, p.torrents, 'infoHash'))
        setLoaded(true)
      }
      // Drop answers for a torrent the user has since navigated away from.
      if (p.detail && target && p.detailFor === target.infoHash) {
        const d = p.detail
        // Peers, swarm and files are only read by virtual tables, which re-read their visible rows on
        // each version: same keys → fields patched in place without per-field notifications.
        if (d.peers && !patchRowsInPlace(detail.peers, d.peers, 'key'))
          setDetail('peers', applyRows(detail.peers, d.peers, 'key'))
        if (d.swarm && !patchRowsInPlace(detail.swarm, d.swarm, 'key'))
          setDetail('swarm', applyRows(detail.swarm, d.swarm, 'key'))
        if (d.files && !patchRowsInPlace(detail.files, d.files, 'index'))
          setDetail('files', applyRows(detail.files, d.files, 'index'))
        if (d.trackers) setDetail('trackers', applyRows(detail.trackers, d.trackers, 'url'))
        if (d.pieces !== undefined) setPieces(d.pieces)
        if (d.log) {
          setLog((prev) => mergeLog(prev ?? [], d.log!))
          setLogError(null)
        }
        if (d.logError !== undefined) setLogError(d.logError)
      }
      setVersion((v) => v + 1)
    })
  }

  function queue(p: Pending): void {
    pending = { ...pending, ...p }
    if (!framePending) {
      framePending = true
      scheduler.frame(apply)
    }
  }

  function fetchDetail(infoHash: string, part: WatchPart): Promise<DetailAnswer> {
    if (part !== 'log') return api.getTorrentDetail(infoHash, [part]).catch(() => ({}))
    // An engine without a log for this torrent says why; the log tab shows it instead of an empty table.
    return api.torrentLog(infoHash).then(
      (log) => ({ log }),
      (e) => ({ logError: e instanceof Error ? e.message : String(e) }),
    )
  }

  async function poll(): Promise<void> {
    if (inFlight || disposed) return
    inFlight = true
    const t = target
    try {
      const [s, list, d] = await Promise.all([
        api.getStatus(),
        api.listTorrents(),
        t ? fetchDetail(t.infoHash, t.part) : Promise.resolve(undefined),
      ])
      setApiError(null)
      queue({ status: s, torrents: list, ...(d && t ? { detail: d, detailFor: t.infoHash } : {}) })
    } catch (e) {
      setApiError(e instanceof Error ? e.message : String(e))
    } finally {
      inFlight = false
    }
  }

  const stop = scheduler.every(opts.intervalMs ?? 1000, () => void poll())
  void poll()

  return {
    status,
    apiError,
    torrents,
    detail,
    pieces,
    log,
    logError,
    history,
    torrentHistory,
    version,
    loaded,
    /** Which detail part (or the log) to poll for which torrent; null stops detail polling. */
    watchDetail(infoHash: string | null, part: WatchPart): void {
      const changed = !target || !infoHash || target.infoHash !== infoHash
      target = infoHash ? { infoHash, part } : null
      if (changed) {
        batch(() => {
          setDetail({ peers: [], swarm: [], files: [], trackers: [] })
          setPieces(null)
          setLog(null)
          setLogError(null)
          setTorrentHistory([])
        })
      }
      void poll()
    },
    refresh: poll,
    dispose(): void {
      disposed = true
      stop()
    },
  }
}

export type EngineModel = ReturnType<typeof createEngineModel>
