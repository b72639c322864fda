export { App, type AppProps } from './app.tsx'
export { Popup } from './popup.tsx'
export {
  createEngineModel,
  browserScheduler,
  type EngineModel,
  type Scheduler,
  type RateSample,
} from './store/engine-model.ts'
export { setTheme, toggleTheme, effectiveTheme, type ThemeChoice } from './theme.ts'
export { formatBytes, formatRate, formatEta, formatPercent } from './format.ts'
export { readTorrentFiles, normaliseMagnet } from './torrent-files.ts'
export { addFromHandler, addHandlerMagnet, takeHandlerMagnet } from './magnet-handler.ts'
export { CompanionPanel, type CompanionApi } from './web/companion-panel.tsx'
export type { DaemonInUse, DaemonKind } from './worker/daemon-chooser.ts'
