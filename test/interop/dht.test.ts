// Tidepool finds peers through the mainline DHT and is found there, with real libtorrent 2.0 nodes on
// loopback forming a private DHT: each knows only the nodes the test names (no routers, no trackers,
// no direct peers). Tidepool joins through `--dht-bootstrap 127.0.0.1:P` only.
import { createSocket } from 'node:dgram'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { libtorrentAvailable, startLibtorrent, waitSeeding, type LibtorrentPeer } from '../fixtures/libtorrent.ts'
import { makeTorrent } from '../fixtures/make-torrent.ts'
import { createSwarm } from '../fixtures/swarm.ts'
import { stopAll } from '../fixtures/processes.ts'
import { tidepoolDownload, tidepoolSeed } from '../fixtures/tidepool-cli.ts'
import { expectDoneLine, expectExit0, expectSameContent } from './expect-download.ts'

const CLI_TIMEOUT_S = 60
const WAIT_MS = (CLI_TIMEOUT_S + 30) * 1000

/** A port free for both TCP and UDP on this machine right now (Tidepool serves both on `--port`). */
async function freePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const tcp = createServer()
    const port = await new Promise<number>((resolve, reject) => {
      tcp.once('error', reject)
      tcp.listen(0, '0.0.0.0', () => resolve((tcp.address() as { port: number }).port))
    })
    const udp = createSocket('udp4')
    const ok = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false))
      udp.bind(port, '0.0.0.0', () => resolve(true))
    })
    await new Promise<void>((r) => tcp.close(() => r()))
    if (ok) {
      await new Promise<void>((r) => udp.close(() => r()))
      return port
    }
    udp.close()
  }
  throw new Error('no port free for both TCP and UDP')
}

describe.skipIf(!libtorrentAvailable())('DHT with real libtorrent nodes on loopback', () => {
  let work: string
  const owned: Array<{ stop(): Promise<unknown> }> = []
  const own = <T extends { stop(): Promise<unknown> }>(p: T): T => (owned.push(p), p)
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'tidepool-dht-'))
  })
  afterEach(async () => {
    await stopAll(owned.splice(0))
    await rm(work, { recursive: true, force: true })
  })

  /** A libtorrent node with no torrent: the bootstrap node everybody knows. */
  async function dhtNode(name: string): Promise<LibtorrentPeer> {
    return own(await startLibtorrent({ dht: true, save: join(work, name), name: `libtorrent DHT node (${name})` }))
  }

  it('a magnet with no tracker, seeded only by a libtorrent node, downloads byte-exact through --dht-bootstrap', async () => {
    const t = await makeTorrent({
      dir: join(work, 'source'),
      name: 'trackerless.bin',
      size: 2 * 1024 * 1024 + 777,
      pieceLength: 64 * 1024,
      trackers: [],
    })
    const router = await dhtNode('router')
    const seed = own(
      await startLibtorrent({
        torrent: t.torrentPath,
        save: t.dir,
        seed: true,
        dht: true,
        dhtNodes: [router.endpoint],
        name: 'libtorrent DHT seed',
      }),
    )
    router.addDhtNode(seed.endpoint)
    await waitSeeding(seed, 30_000)
    // the seed's announce reached the router: a get_peers there now answers with the seed
    await router.proc.waitFor(
      (l) => l.event === 'dht-announce' && l.infoHash === t.infoHash && l.port === seed.port,
      30_000,
      'the seed announcing to the router',
    )

    const out = join(work, 'out')
    const magnet = `magnet:?xt=urn:btih:${t.infoHash}`
    const run = own(
      tidepoolDownload([magnet], {
        out,
        timeoutSec: CLI_TIMEOUT_S,
        dhtBootstrap: [router.endpoint],
        name: 'tidepool download (DHT)',
      }),
    )
    await expectExit0(run, WAIT_MS)
    expectDoneLine(run, t)
    await expectSameContent(t, out)
    // and it announced itself (get_peers, then announce_peer with its listen port)
    await router.proc.waitFor(
      (l) => l.event === 'dht-announce' && l.infoHash === t.infoHash && l.port !== seed.port,
      10_000,
      'Tidepool announcing to the router',
    )
  })

  it("a libtorrent leecher with only the DHT finds and downloads what only `tidepool seed --port P --dht-bootstrap` seeds, and Tidepool ends up in libtorrent's routing table", async () => {
    const t = await makeTorrent({
      dir: join(work, 'source'),
      name: 'found via dht',
      files: [
        { path: ['a.bin'], size: 700_000 },
        { path: ['sub', 'b.bin'], size: 333_333 },
      ],
      pieceLength: 32 * 1024,
      trackers: [],
    })
    const router = await dhtNode('router')
    const port = await freePort()
    const seed = own(
      await tidepoolSeed(t.torrentPath, {
        data: t.dir,
        port,
        dhtBootstrap: [router.endpoint],
        name: 'tidepool seed (DHT)',
      }),
    )
    expect(seed.listenPort).toBe(port)
    expect(seed.proc.json.find((l) => l.event === 'seeding')?.dhtPort, 'TCP and DHT on the same --port').toBe(port)
    // Tidepool announced the torrent to libtorrent's node, with the port it seeds on
    const announced = await router.proc.waitFor(
      (l) => l.event === 'dht-announce' && l.infoHash === t.infoHash,
      30_000,
      'Tidepool announcing to the router',
    )
    expect(announced.port).toBe(port)

    const leech = own(
      await startLibtorrent({
        torrent: t.torrentPath,
        save: join(work, 'lt-leech'),
        dht: true,
        dhtNodes: [router.endpoint],
        name: 'libtorrent DHT leech',
      }),
    )
    await leech.waitFinished(60_000)
    await expectSameContent(t, join(work, 'lt-leech'))
    // the seed's status lines tell the DHT joined (`dht: {state, nodes}`)
    const joined = await seed.proc.waitFor(
      (l) => !l.event && (l.dht as { state?: string } | undefined)?.state === 'ready',
      10_000,
      'a status line with the DHT ready',
    )
    expect((joined.dht as { nodes: number }).nodes).toBeGreaterThanOrEqual(1)

    // Tidepool answered the router's queries, so the router keeps it as a node (UDP port = --port)
    let nodes: string[] = []
    for (let i = 0; i < 20 && !nodes.includes(`127.0.0.1:${port}`); i++) {
      nodes = await router.dhtNodes(5000)
      if (!nodes.includes(`127.0.0.1:${port}`)) await new Promise((r) => setTimeout(r, 500))
    }
    expect(nodes, `router's table: ${nodes.join(', ')}`).toContain(`127.0.0.1:${port}`)
  })

  it("PORT messages: a libtorrent seed met through a tracker and Tidepool learn each other's DHT nodes", async () => {
    const sw = await createSwarm('tidepool-dht-port-')
    own({ stop: () => sw.close() })
    const t = await sw.torrent({ name: 'port message.bin', size: 600_000, pieceLength: 32 * 1024, tracker: 'http' })
    // a DHT node that knows nobody: only a PORT message can tell it of Tidepool
    const seed = await sw.seed(t, { dht: true })
    const port = await freePort()
    // a bootstrap node that does not exist: Tidepool's DHT runs but can only learn nodes from PORT
    const run = own(
      tidepoolDownload([t.torrentPath], {
        out: join(work, 'out'),
        timeoutSec: CLI_TIMEOUT_S,
        seed: true,
        port,
        dhtBootstrap: ['127.0.0.1:1'],
        debug: ['dht'],
        name: 'tidepool download (PORT)',
      }),
    )
    await run.waitDone(t.infoHash, WAIT_MS)
    await expectSameContent(t, join(work, 'out'))
    // libtorrent → Tidepool: its PORT message named its DHT port (= its listen port)
    expect(run.proc.stderr(), 'PORT from libtorrent').toContain(`PORT ${seed.port}`)
    // Tidepool → libtorrent: Tidepool's node (UDP = --port) is in libtorrent's table, whether it got
    // there by Tidepool's PORT message or by answering libtorrent's ping
    let nodes: string[] = []
    for (let i = 0; i < 20 && !nodes.includes(`127.0.0.1:${port}`); i++) {
      nodes = await seed.dhtNodes(5000)
      if (!nodes.includes(`127.0.0.1:${port}`)) await new Promise((r) => setTimeout(r, 500))
    }
    expect(nodes, `libtorrent's table: ${nodes.join(', ')}`).toContain(`127.0.0.1:${port}`)
  })
})
