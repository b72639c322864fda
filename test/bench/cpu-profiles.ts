// Developer aid for the browser benchmarks (--profile DIR): V8 CPU profiles of the page and each of its
// workers, taken over the browser's DevTools socket after the torrent is added.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/** Attaches to the page and its workers over the browser's DevTools socket and starts V8's profiler in each. */
export async function profileTargets(browserWsUrl: string): Promise<{ stop(dir: string): Promise<void> }> {
  // the `ws` package through the bridge's Node entry (the test package does not depend on it directly)
  const { NodeWebSocket } = await import('@tidepool/daemon-bridge/node')
  const ws = new NodeWebSocket(browserWsUrl, [], { perMessageDeflate: false, maxPayload: 1 << 30 }) as unknown as {
    send(s: string): void
    close(): void
    onopen: (() => void) | null
    onerror: ((e: unknown) => void) | null
    onmessage: ((ev: { data: unknown }) => void) | null
  }
  await new Promise<void>((r, j) => {
    ws.onopen = () => r()
    ws.onerror = j
  })
  let nextId = 1
  const waiting = new Map<number, (m: { result?: Record<string, unknown>; error?: unknown }) => void>()
  ws.onmessage = (ev) => {
    const m = JSON.parse(String(ev.data))
    if (m.id && waiting.has(m.id)) {
      waiting.get(m.id)!(m)
      waiting.delete(m.id)
    }
  }
  const send = (method: string, params: object = {}, sessionId?: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = nextId++
      waiting.set(id, (m) => (m.error ? reject(new Error(JSON.stringify(m.error))) : resolve(m.result ?? {})))
      ws.send(JSON.stringify({ id, method, params, sessionId }))
    })
  const { targetInfos } = (await send('Target.getTargets')) as {
    targetInfos: Array<{ targetId: string; type: string; url: string }>
  }
  // the page (the web app's, or the extension's tab and offscreen document) and every worker
  const targets = targetInfos.filter(
    (t) => /worker/.test(t.type) || (/^(page|other)$/.test(t.type) && /^(http|chrome-extension):/.test(t.url)),
  )
  const sessions: Array<{ name: string; sessionId: string }> = []
  for (const t of targets) {
    const { sessionId } = (await send('Target.attachToTarget', { targetId: t.targetId, flatten: true })) as {
      sessionId: string
    }
    await send('Profiler.enable', {}, sessionId)
    await send('Profiler.setSamplingInterval', { interval: 500 }, sessionId)
    await send('Profiler.start', {}, sessionId)
    const name =
      t.type === 'service_worker'
        ? 'service-worker'
        : /worker/.test(t.type)
          ? (/\/assets\/([a-z0-9-]+?)-[A-Za-z0-9_]{6,}\.js/.exec(t.url)?.[1] ?? `worker-${sessions.length}`)
          : (/\/([a-z-]+)\.html/.exec(t.url)?.[1] ?? 'page')
    sessions.push({ name, sessionId })
  }
  console.log(`  profiling ${sessions.map((x) => x.name).join(', ')}`)
  return {
    async stop(dir) {
      await mkdir(dir, { recursive: true })
      for (const x of sessions) {
        const { profile } = (await send('Profiler.stop', {}, x.sessionId)) as { profile: unknown }
        await writeFile(join(dir, `${x.name}.cpuprofile`), JSON.stringify(profile))
      }
      ws.close()
    },
  }
}
