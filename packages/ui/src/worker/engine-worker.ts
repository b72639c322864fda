/**
 * The engine's module worker. The page (web app) or the offscreen document (extension) creates it,
 * wraps it with comlink and calls `init({daemonUrl, token})`; from then on it is an EngineApi.
 * State (torrents, resume data, settings) lives in this origin's IndexedDB.
 */
import * as Comlink from 'comlink'
import { connectBridge } from '@tidepool/daemon-bridge'
import type { StateStore } from '@tidepool/engine'
import { EngineHost } from './engine-host.ts'
import { openIdbState } from './idb-state.ts'
import { createBtEngine } from './create-engine.ts'
import { startHashWorkers } from './hash-workers.ts'
import { DaemonChooser } from './daemon-chooser.ts'

// Opened once, lazily awaited by each call, so the worker can answer before IndexedDB is ready.
const db = openIdbState()
const state: StateStore = {
  get: async (k) => (await db).get(k),
  set: async (k, v) => (await db).set(k, v),
  delete: async (k) => (await db).delete(k),
  keys: async (p) => (await db).keys(p),
}

// Pieces are hashed in a nested worker (started once, shared by every engine this host creates).
const hasher = startHashWorkers()

// The browser's WebSocket sends this origin's Origin header, which the daemon checks.
// a browser WebSocket copies on send(): large frames are built in one reused buffer
const chooser = new DaemonChooser(state, (url, token) => connectBridge({ url, token, sendMode: 'scratch' }))

const host = new EngineHost({
  connect: (url, token) => chooser.connect(url, token),
  chooser,
  createEngine: (platform) => createBtEngine({ ...platform, hasher }),
  state,
  now: () => Date.now(),
  setTimer: (fn, ms) => {
    const id = setTimeout(fn, ms)
    return () => clearTimeout(id)
  },
})

Comlink.expose(host)
