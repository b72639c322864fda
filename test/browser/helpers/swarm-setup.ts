// One seeded torrent for a browser test: a libtorrent seed that never announces itself, reachable only
// through a delaying proxy that the test announces to the local tracker. So the client's only way in
// is the slow one, and its Peers tab must show "Connecting…" before "Connected".
import bencode from 'bencode'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startLibtorrent, waitSeeding } from '../../fixtures/libtorrent.ts'
import type { MadeTorrent } from '../../fixtures/make-torrent.ts'
import type { Swarm } from '../../fixtures/swarm.ts'
import { announcePeer, startDelayProxy, type DelayProxy } from './delay-proxy.ts'

export interface SlowSeed {
  proxy: DelayProxy
}

/** uploadLimit (bytes/s) keeps the transfer long enough for a poll of the Peers tab to see it connected. */
export async function slowSeed(
  swarm: Swarm,
  t: MadeTorrent,
  opts: { delayMs?: number; uploadLimit?: number } = {},
): Promise<SlowSeed> {
  const delayMs = opts.delayMs ?? 2500
  // Same info dictionary (same info-hash), no trackers: libtorrent stays off the tracker.
  const meta = bencode.decode(await readFile(t.torrentPath)) as Record<string, unknown>
  delete meta.announce
  delete meta['announce-list']
  const quiet = join(swarm.work, `${t.infoHash}-no-trackers.torrent`)
  await writeFile(quiet, bencode.encode(meta))
  const seed = swarm.own(
    await startLibtorrent({
      torrent: quiet,
      save: t.dir,
      seed: true,
      name: `libtorrent seed ${t.name}`,
      uploadLimit: opts.uploadLimit ?? 1024 * 1024,
    }),
  )
  await waitSeeding(seed, 30_000)
  const proxy = await startDelayProxy({ host: '127.0.0.1', port: seed.port }, delayMs)
  swarm.own({ stop: () => proxy.close() })
  await announcePeer(swarm.tracker.httpUrl, t.infoHash, proxy.port)
  return { proxy }
}
