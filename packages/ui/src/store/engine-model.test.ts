import { createRoot } from 'solid-js'
import { describe, expect, it } from 'vitest'
import { FakeEngine } from '../dev/fake-engine.ts'
import { createEngineModel, type Scheduler } from './engine-model.ts'

/** Manual scheduler: ticks and frames run only when the test says so. */
function manual() {
  let tick: (() => void) | null = null
  const frames: Array<() => void> = []
  const s: Scheduler = {
    every(_ms, fn) {
      tick = fn
      return () => {
        tick = null
      }
    },
    frame(fn) {
      frames.push(fn)
    },
  }
  return {
    s,
    tick: () => tick?.(),
    flush: () => frames.splice(0).forEach((f) => f()),
    pending: () => frames.length,
    stopped: () => tick === null,
  }
}
const settle = () => new Promise((r) => setTimeout(r, 0))

describe('engine model', () => {
  it('applies polls on the next frame, in place by key, one poll in flight at a time', async () => {
    const engine = new FakeEngine({ torrents: 5, peersInFirst: 50 })
    let calls = 0
    const list = engine.listTorrents.bind(engine)
    engine.listTorrents = async () => {
      calls++
      return list()
    }
    const m = manual()
    await createRoot(async (dispose) => {
      const model = createEngineModel(engine, { scheduler: m.s })
      m.tick() // second tick while the first poll is in flight is dropped
      expect(calls).toBe(1)
      await settle()
      expect(model.torrents.length).toBe(0) // nothing until the frame
      expect(m.pending()).toBe(1)
      m.flush()
      expect(model.torrents.length).toBe(5)
      expect(model.status()?.daemon).toBe('connected')
      const first = model.torrents[0]
      const hash = first!.infoHash

      model.watchDetail(hash, 'peers')
      await settle()
      m.flush()
      expect(model.detail.peers.length).toBe(50)

      engine.tick()
      m.tick()
      await settle()
      m.flush()
      expect(model.torrents[0]).toBe(first) // same row object, fields updated
      expect(model.history().length).toBe(3)

      await engine.removeTorrent(hash, { deleteData: false })
      m.tick()
      await settle()
      m.flush()
      expect(model.torrents.length).toBe(4)
      expect(model.torrents.some((t) => t.infoHash === hash)).toBe(false)
      model.dispose()
      expect(m.stopped()).toBe(true)
      dispose()
    })
  })

  it("polls a torrent's log only while it is watched, keeping the lines it already had", async () => {
    const engine = new FakeEngine({ torrents: 3, peersInFirst: 5 })
    const asked: string[] = []
    const torrentLog = engine.torrentLog.bind(engine)
    engine.torrentLog = async (h) => {
      asked.push(h)
      return torrentLog(h)
    }
    const m = manual()
    await createRoot(async (dispose) => {
      const model = createEngineModel(engine, { scheduler: m.s })
      await settle()
      m.flush()
      const [a, b] = model.torrents.map((t) => t.infoHash) as [string, string]
      model.watchDetail(a, 'peers')
      await settle()
      m.flush()
      expect(asked).toEqual([])
      expect(model.log()).toBe(null)

      model.watchDetail(a, 'log')
      await settle()
      m.flush()
      expect(asked).toEqual([a])
      const first = model.log()!
      expect(first.length).toBeGreaterThan(10)
      expect(first).toEqual(await torrentLog(a))
      for (let i = 1; i < first.length; i++) expect(first[i]!.at).toBeGreaterThanOrEqual(first[i - 1]!.at)

      for (let i = 0; i < 6; i++) engine.tick() // the torrent is active: it logs more lines
      m.tick()
      await settle()
      m.flush()
      const second = model.log()!
      expect(second.length).toBeGreaterThan(first.length)
      expect(second[0]).toBe(first[0]) // same entry objects: the table keeps their rows
      expect(second[first.length - 1]).toBe(first[first.length - 1])

      model.watchDetail(b, 'log')
      expect(model.log()).toBe(null) // another torrent: nothing shown until its own answer
      await settle()
      m.flush()
      expect(model.log()!.map((e) => e.message)).toEqual((await torrentLog(b)).map((e) => e.message))

      model.watchDetail(b, 'trackers')
      await settle()
      m.tick()
      await settle()
      expect(asked).toEqual([a, a, b])
      dispose()
    })
  })

  it("says why a torrent's log could not be read", async () => {
    const engine = new FakeEngine({ torrents: 1 })
    engine.torrentLog = async () => {
      throw new Error('no log in this engine')
    }
    const m = manual()
    await createRoot(async (dispose) => {
      const model = createEngineModel(engine, { scheduler: m.s })
      await settle()
      m.flush()
      model.watchDetail(model.torrents[0]!.infoHash, 'log')
      await settle()
      m.flush()
      expect(model.log()).toBe(null)
      expect(model.logError()).toBe('no log in this engine')
      dispose()
    })
  })

  it('reports an engine that stopped answering', async () => {
    const engine = new FakeEngine({ torrents: 1 })
    engine.getStatus = async () => {
      throw new Error('worker gone')
    }
    const m = manual()
    await createRoot(async (dispose) => {
      const model = createEngineModel(engine, { scheduler: m.s })
      await settle()
      expect(model.apiError()).toBe('worker gone')
      dispose()
    })
  })
})
