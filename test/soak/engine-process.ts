// The engine side of `pnpm soak`, in a process of its own so its memory and descriptors are the engine's
// alone: one BtEngine built as the CLI builds it (SHA-1 in worker threads, a state directory), connected to
// a daemon started separately, over a loopback WebSocket as a browser's engine is.
//
//   node --import tsx test/soak/engine-process.ts --url ws://127.0.0.1:P --token-file F --state DIR
//
// stdin, one JSON object a line: {"add": TORRENT_PATH, "root": NAME} | {"remove": INFOHASH} (data deleted).
// stdout, one JSON object a line: {"event":"ready"}, {"event":"added"|"removed", infoHash},
// {"event":"error", message}, and every second {"event":"tick", torrents: [...]} with each torrent's verified
// bytes and its connected peers as [port, their progress].
import { readFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { connectBridgeNode } from '@tidepool/daemon-bridge/node'
import { BtEngine } from '@tidepool/engine'
import { DirStateStore } from '../../packages/cli/src/dir-state-store.ts'
import { startSha1Workers } from '../../packages/cli/src/sha1-workers.ts'
import { option } from '../bench/bench-args.ts'

const TICK_MS = 1000

const emit = (obj: object): void => {
  process.stdout.write(`${JSON.stringify(obj)}\n`)
}

async function main(): Promise<void> {
  const token = (await readFile(option('token-file', ''), 'utf8')).trim()
  const client = await connectBridgeNode({ url: option('url', ''), token })
  const hasher = startSha1Workers()
  const roots = client.roots ?? []
  const engine = new BtEngine({
    platform: {
      net: client.net,
      files: client.files,
      state: new DirStateStore(option('state', '')),
      hasher,
      now: () => Date.now(),
    },
    settings: {
      downloadRoot: roots[0],
      listenPort: 0,
      localPeerDiscovery: false,
      portMapping: false,
      dhtEnabled: false,
    }, // the soak never reaches a router or the public DHT
    restoreSession: false,
  })
  await engine.start()

  let stopping = false
  const stop = async (code: number): Promise<void> => {
    if (stopping) return
    stopping = true
    clearInterval(ticker)
    // bounded: a wedged bridge must not keep the soak waiting past its SIGKILL grace anyway
    await Promise.race([engine.stop().catch(() => {}), new Promise((r) => setTimeout(r, 3000))])
    await Promise.resolve(client.close()).catch(() => {})
    await hasher.close().catch(() => {})
    process.exit(code)
  }
  client.onClose = (reason, detail) => {
    if (reason === 'closed-by-client') return
    emit({ event: 'bridge-lost', reason, detail })
    void stop(3)
  }
  process.on('SIGTERM', () => void stop(0))
  process.on('SIGINT', () => void stop(0))

  const ticker = setInterval(() => {
    const torrents = engine.list().map((t) => {
      const s = t.summary()
      const peers = (engine.detail(t.infoHash, ['peers']).peers ?? [])
        .filter((p) => p.state === 'connected')
        .map((p) => [p.port, p.progress])
      return {
        infoHash: t.infoHash,
        root: t.savePath,
        downloaded: s.downloaded,
        size: s.totalSize,
        complete: t.isComplete(),
        status: s.status,
        connected: s.connected,
        peers,
      }
    })
    emit({ event: 'tick', at: Date.now(), connections: engine.activeConnections(), torrents })
  }, TICK_MS)

  const lines = createInterface({ input: process.stdin })
  lines.on('line', (line) => {
    let cmd: { add?: string; root?: string; remove?: string }
    try {
      cmd = JSON.parse(line) as typeof cmd
    } catch {
      return emit({ event: 'error', message: `not JSON: ${line.slice(0, 100)}` })
    }
    if (cmd.add) {
      const path = cmd.add
      void readFile(path)
        .then((bytes) =>
          engine.add({
            torrentFile: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
            savePath: cmd.root,
          }),
        )
        .then((t) => emit({ event: 'added', infoHash: t.infoHash, root: t.savePath }))
        .catch((e: Error) => emit({ event: 'error', message: `add ${path}: ${e.message}` }))
    } else if (cmd.remove) {
      const h = cmd.remove
      void engine
        .remove(h, { deleteData: true })
        .then(() => emit({ event: 'removed', infoHash: h }))
        .catch((e: Error) => emit({ event: 'error', message: `remove ${h}: ${e.message}` }))
    }
  })
  lines.on('close', () => void stop(0)) // the soak went away
  emit({ event: 'ready', roots, listenPort: engine.listenPort, pid: process.pid })
}

main().catch((e) => {
  emit({ event: 'error', message: `engine process: ${(e as Error).message}` })
  process.exit(1)
})
