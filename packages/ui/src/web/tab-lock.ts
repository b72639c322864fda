/**
 * One engine per browser profile: two tabs would run two engines on the same files and IndexedDB.
 * A tab runs the engine while it holds a Web Lock. A later tab is not refused for good: it can ask the
 * running tab to hand over (over a BroadcastChannel), which stops its engine and lets go of the lock.
 * A tab opened with a fresh login link asks at once: after a restart the new link is what people open.
 */
const LOCK = 'tidepool-engine'
const CHANNEL = 'tidepool-tabs'

export interface TabLockHooks {
  /** Starts the engine in this tab; resolves when it runs. */
  start(): Promise<void>
  /** Another tab took over: stop the engine here and say so. */
  stopped(): void
  /** Another tab holds the engine: offer to take over (call the function to do it), or send it a magnet link. */
  busy(takeOver: () => void, sendMagnet: (magnet: string) => void): void
  /** A magnet link sent by another tab (opened by the browser's magnet handler) to the tab running the engine. */
  magnet?(magnet: string): void
}

export function runInOneTab(hooks: TabLockHooks, opts: { takeOverNow: boolean }): void {
  const locks = navigator.locks
  if (!locks) {
    void hooks.start()
    return
  }
  const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(CHANNEL) : null
  let release: (() => void) | null = null
  channel?.addEventListener('message', (e: MessageEvent<{ type?: string; magnet?: string }>) => {
    if (e.data?.type === 'add-magnet' && release && typeof e.data.magnet === 'string')
      return hooks.magnet?.(e.data.magnet)
    if (e.data?.type !== 'take-over' || !release) return
    const r = release
    release = null
    hooks.stopped()
    r()
  })
  const hold = async () => {
    await hooks.start()
    await new Promise<void>((resolve) => (release = resolve)) // held while this page runs the engine
  }
  const waitForLock = () => void locks.request(LOCK, hold)
  const takeOver = () => {
    channel?.postMessage({ type: 'take-over' })
    waitForLock()
  }
  if (opts.takeOverNow) return takeOver()
  void locks.request(LOCK, { ifAvailable: true }, async (lock) => {
    if (lock) return hold()
    hooks.busy(takeOver, (magnet) => channel?.postMessage({ type: 'add-magnet', magnet }))
  })
}
