/** Messages between the service worker, the offscreen document and extension pages. */
export const ENGINE_PORT = 'tidepool-engine'
export const NATIVE_HOST = 'com.tidepool.daemon'

export interface DaemonInfo {
  port: number
  token: string
  version?: string
}

export type ExtMessage =
  | { to: 'offscreen'; type: 'daemon'; info: DaemonInfo }
  | { to: 'offscreen'; type: 'daemon-unavailable'; state: 'not-installed' | 'unreachable'; message: string }
  | { to: 'offscreen'; type: 'add'; magnet?: string; torrentFile?: number[] }
  /** A .torrent download the browser started: the engine takes it if Settings allow and it can read it. */
  | { to: 'offscreen'; type: 'take-over-download'; url: string }
  | { to: 'background'; type: 'offscreen-ready' }
  | { to: 'background'; type: 'ensure-engine' }
  | { to: 'background'; type: 'keepalive' }
  /** The engine cannot reach the daemon it was given: ask the host again (it restarts the daemon). */
  | { to: 'background'; type: 'daemon-lost' }
  /** A finished download or an error to show (the offscreen document has no chrome.notifications). */
  | { to: 'background'; type: 'notify'; title: string; message: string; tag: string }
