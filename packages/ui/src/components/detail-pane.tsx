import { createEffect, createSignal, For, Match, onCleanup, Show, Switch, type JSX } from 'solid-js'
import type { EngineApi, TorrentSummary, TrackerEdit } from '@tidepool/engine'
import type { EngineModel, WatchPart } from '../store/engine-model.ts'
import { formatBytes, formatRatio, plainError } from '../format.ts'
import { FilesTab } from './files-tab.tsx'
import { createStreamLauncher } from './stream-launcher.tsx'
import { folderLabel } from './settings-dialog.tsx'
import { placeText } from './folder-picker.tsx'
import { LogTab } from './log-tab.tsx'
import { PeersTab } from './peers-tab.tsx'
import { PiecesMap } from './pieces-map.tsx'
import { SpeedGraph } from './speed-graph.tsx'
import { SwarmTab } from './swarm-tab.tsx'
import { TrackersTab } from './trackers-tab.tsx'
import { TorrentLimits } from './speed-limits.tsx'

type Tab = 'general' | WatchPart | 'speed'
const TABS: Array<{ id: Tab; label: string }> = [
  { id: 'general', label: 'General' },
  { id: 'peers', label: 'Peers' },
  { id: 'swarm', label: 'Swarm' },
  { id: 'files', label: 'Files' },
  { id: 'trackers', label: 'Trackers' },
  { id: 'pieces', label: 'Pieces' },
  { id: 'speed', label: 'Speed' },
  { id: 'log', label: 'Log' },
]

/** Tabs for the focused torrent; only the open tab's data (or log) is polled. */
export function DetailPane(props: {
  api: EngineApi
  model: EngineModel
  torrent: TorrentSummary | undefined
  initialTab?: Tab
  folderPaths?: Record<string, string>
}): JSX.Element {
  const [tab, setTab] = createSignal<Tab>(props.initialTab ?? 'peers')
  createEffect(() => {
    const t = tab()
    const part: WatchPart = t === 'general' || t === 'speed' ? 'trackers' : t
    props.model.watchDetail(props.torrent?.infoHash ?? null, part)
  })
  onCleanup(() => props.model.watchDetail(null, 'peers'))
  const streams = createStreamLauncher(
    props.api,
    () => props.torrent?.infoHash,
    () => props.model.detail.files,
  )
  const [now, setNow] = createSignal(Date.now())
  const timer = setInterval(() => setNow(Date.now()), 1000)
  onCleanup(() => clearInterval(timer))

  return (
    <section class="detail" aria-label="Torrent details">
      <div class="tabs" role="tablist">
        <For each={TABS}>
          {(t) => (
            <button
              type="button"
              role="tab"
              aria-selected={tab() === t.id}
              aria-controls="detail-tab-body"
              id={`detail-tab-${t.id}`}
              classList={{ active: tab() === t.id }}
              onClick={() => setTab(t.id)}
              data-tab={t.id}
            >
              {t.label}
              <Show when={t.id === 'peers' && props.torrent}>
                <span class="count" title={`${props.torrent!.connected} connected`}>
                  {props.torrent!.connected}
                </span>
              </Show>
            </button>
          )}
        </For>
      </div>
      <div class="tab-body" id="detail-tab-body" role="tabpanel" aria-labelledby={`detail-tab-${tab()}`}>
        {streams.view()}
        <Show
          when={props.torrent || tab() === 'speed'}
          fallback={<div class="vt-empty">Select a torrent to see its details.</div>}
        >
          <Switch>
            <Match when={tab() === 'general' && props.torrent}>
              {(t) => (
                <>
                  <General t={t()} {...(props.folderPaths ? { folderPaths: props.folderPaths } : {})} />
                  <Show when={t().infoHash} keyed>
                    <TorrentLimits api={props.api} t={t()} onChanged={() => props.model.refresh()} />
                  </Show>
                </>
              )}
            </Match>
            <Match when={tab() === 'peers'}>
              <PeersTab peers={props.model.detail.peers} version={props.model.version} />
            </Match>
            <Match when={tab() === 'swarm'}>
              <SwarmTab swarm={props.model.detail.swarm} version={props.model.version} />
            </Match>
            <Match when={tab() === 'files'}>
              {streams.options()}
              <FilesTab
                files={props.model.detail.files}
                version={props.model.version}
                stream={streams.actions}
                onPriority={(files, p) =>
                  props.torrent &&
                  void props.api.setFilePriorities(props.torrent.infoHash, files, p).then(() => props.model.refresh())
                }
              />
            </Match>
            <Match when={tab() === 'trackers'}>
              <TrackersTab
                trackers={props.model.detail.trackers}
                now={now}
                {...(props.torrent
                  ? {
                      onEdit: (edit: TrackerEdit) =>
                        props.api.editTrackers(props.torrent!.infoHash, edit).then(() => props.model.refresh()),
                    }
                  : {})}
              />
            </Match>
            <Match when={tab() === 'log'}>
              <LogTab entries={props.model.log()} error={props.model.logError()} />
            </Match>
            <Match when={tab() === 'pieces'}>
              <PiecesMap pieces={props.model.pieces()} />
            </Match>
            <Match when={tab() === 'speed'}>
              <div class="graphs" tabindex="0" role="region" aria-label="Transfer rates">
                <Show when={props.torrent}>
                  <div class="graph-title">{props.torrent!.name}</div>
                  <SpeedGraph samples={props.model.torrentHistory()} height={120} />
                </Show>
                <div class="graph-title">All torrents</div>
                <SpeedGraph samples={props.model.history()} height={props.torrent ? 120 : 170} />
              </div>
            </Match>
          </Switch>
        </Show>
      </div>
    </section>
  )
}

/** A move in progress (bar and bytes) and where a download in the incomplete folder goes when done. */
function MoveRows(props: { t: TorrentSummary; folderPaths?: Record<string, string> }): JSX.Element {
  return (
    <>
      <Show when={props.t.moving}>
        {(m) => (
          <>
            <dt>Moving to</dt>
            <dd>
              {placeText(m().root, m().dir, props.folderPaths)}{' '}
              <progress
                class="move-progress"
                aria-label="Move progress"
                max={Math.max(1, m().total)}
                value={m().done}
              />{' '}
              {formatBytes(m().done)} of {formatBytes(m().total)}
            </dd>
          </>
        )}
      </Show>
      <Show when={props.t.completeTo}>
        {(c) => (
          <>
            <dt>When complete</dt>
            <dd>moves to {placeText(c().root, c().dir, props.folderPaths)}</dd>
          </>
        )}
      </Show>
    </>
  )
}

function General(props: { t: TorrentSummary; folderPaths?: Record<string, string> }): JSX.Element {
  return (
    <div class="general">
      <Show when={props.t.error}>
        <div class="banner bad" role="alert">
          <b>Error:</b> {plainError(props.t.error!)}
        </div>
      </Show>
      <dl>
        <dt>Name</dt>
        <dd>{props.t.name}</dd>
        <dt>Info-hash</dt>
        <dd class="mono">{props.t.infoHash}</dd>
        <dt>Download folder</dt>
        <dd>
          {props.t.saveDir
            ? placeText(props.t.savePath, props.t.saveDir, props.folderPaths)
            : (props.folderPaths?.[props.t.savePath] ?? folderLabel(props.t.savePath))}
        </dd>
        <MoveRows t={props.t} folderPaths={props.folderPaths} />
        <Show when={props.t.stalled && !props.t.error}>
          <dt>Stalled</dt>
          <dd>{props.t.stalled}</dd>
        </Show>
        <dt>Size</dt>
        <dd>
          {formatBytes(props.t.totalSize)} ({formatBytes(props.t.downloaded)} verified)
        </dd>
        <dt>Downloaded / uploaded</dt>
        <dd>
          {formatBytes(props.t.downloadedTotal)} / {formatBytes(props.t.uploadedTotal)} (ratio{' '}
          {formatRatio(props.t.ratio)})
        </dd>
        <dt>Peers</dt>
        <dd>
          {props.t.connected} connected ({props.t.seeds} of them seeds), {props.t.connecting} connecting,{' '}
          {props.t.swarmSize} known
          <Show when={props.t.trackerSeeds !== undefined || props.t.trackerPeers !== undefined}>
            ; the trackers report {props.t.trackerSeeds ?? '?'} seeds and {props.t.trackerPeers ?? '?'} other peers in
            the swarm
          </Show>
        </dd>
        <dt>Added</dt>
        <dd>{new Date(props.t.addedAt).toLocaleString()}</dd>
        <Show when={props.t.piecesOnPlatform !== undefined}>
          <dt>Piece data</dt>
          <dd data-testid="piece-data">
            {props.t.piecesOnPlatform
              ? 'kept, checked and written by the helper'
              : 'checked in the browser, written by the helper'}
          </dd>
        </Show>
      </dl>
    </div>
  )
}
