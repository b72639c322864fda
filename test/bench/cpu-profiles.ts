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
    const timer = setTimeout(() => j(new Error('the DevTools socket did not open in 10 s')), 10_000)
    ws.onopen = () => {
      clearTimeout(timer)
      r()
    }
    ws.onerror = j
  })
  let nextId = 1
  const waiting = new Map<number, (m: { result?: Record<string, unknown>; error?: unknown }) => void>()
  type TargetInfo = { targetId: string; type: string; url: string }
  // workers of a page we attached to, announced once auto-attach is on (the extension's offscreen
  // document's workers are not top-level targets)
  const children: Array<{ sessionId: string; targetInfo: TargetInfo }> = []
  ws.onmessage = (ev) => {
    const m = JSON.parse(String(ev.data))
    if (m.method === 'Target.attachedToTarget') children.push(m.params)
    if (m.id && waiting.has(m.id)) {
      waiting.get(m.id)!(m)
      waiting.delete(m.id)
    }
  }
  // every command bounded: a target that never answers (a paused one) must not hang the benchmark
  const send = (method: string, params: object = {}, sessionId?: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = nextId++
      const timer = setTimeout(() => {
        waiting.delete(id)
        reject(new Error(`${method}: no answer in 10 s`))
      }, 10_000)
      waiting.set(id, (m) => {
        clearTimeout(timer)
        if (m.error) reject(new Error(JSON.stringify(m.error)))
        else resolve(m.result ?? {})
      })
      ws.send(JSON.stringify({ id, method, params, sessionId }))
    })
  const { targetInfos } = (await send('Target.getTargets')) as { targetInfos: TargetInfo[] }
  // the pages (the web app's, or the extension's tab and offscreen document) and every worker
  const targets = targetInfos.filter(
    (t) => t.type !== 'browser' && t.type !== 'tab' && /^(http|chrome-extension):/.test(t.url),
  )
  const sessions: Array<{ name: string; sessionId: string; targetId: string }> = []
  const profile = async (t: TargetInfo, sessionId: string) => {
    if (sessions.some((x) => x.targetId === t.targetId)) return // a worker seen both ways
    try {
      await send('Profiler.enable', {}, sessionId)
      await send('Profiler.setSamplingInterval', { interval: 500 }, sessionId)
      await send('Profiler.start', {}, sessionId)
    } catch (e) {
      console.log(`  not profiled: ${t.type} ${t.url} (${(e as Error).message})`)
      return
    }
    const name =
      t.type === 'service_worker'
        ? 'service-worker'
        : /worker/.test(t.type)
          ? (/\/assets\/([a-z0-9-]+?)-[A-Za-z0-9_]{6,}\.js/.exec(t.url)?.[1] ?? `worker-${sessions.length}`)
          : (/\/([a-z-]+)\.html/.exec(t.url)?.[1] ?? 'page')
    sessions.push({ name, sessionId, targetId: t.targetId })
  }
  const autoAttach = (sessionId: string) =>
    send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: true }, sessionId)
  for (const t of targets) {
    try {
      const { sessionId } = (await send('Target.attachToTarget', { targetId: t.targetId, flatten: true })) as {
        sessionId: string
      }
      await profile(t, sessionId)
      await autoAttach(sessionId)
    } catch (e) {
      console.log(`  not profiled: ${t.type} ${t.url} (${(e as Error).message})`)
    }
  }
  // the attached targets announce their workers, and those workers theirs (the engine's SHA-1 worker)
  for (let round = 0; round < 3; round++) {
    await new Promise((r) => setTimeout(r, 500))
    for (const c of children.splice(0)) {
      await profile(c.targetInfo, c.sessionId)
      await autoAttach(c.sessionId).catch(() => undefined) // a target that takes no auto-attach has no workers to give
    }
  }
  console.log(`  profiling ${sessions.map((x) => x.name).join(', ')}`)
  return {
    async stop(dir) {
      await mkdir(dir, { recursive: true })
      for (const x of sessions) {
        const got = await send('Profiler.stop', {}, x.sessionId).catch((e: Error) => {
          console.log(`  no profile of ${x.name}: ${e.message}`)
          return null
        })
        if (got) await writeFile(join(dir, `${x.name}.cpuprofile`), JSON.stringify(got.profile))
      }
      ws.close()
    },
  }
}
