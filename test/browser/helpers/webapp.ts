// Runs the local web app (`pnpm app --no-open`) as a child process with its own config dir (and a
// fixed page port when a test restarts it: an open tab survives a restart only on the same origin).
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext } from 'playwright-core'
import { DATA_PATH_NODE_FLAGS } from '@tidepool/native-host'
import { spawnTracked, type Tracked } from '../../fixtures/processes.ts'
import { createSwarm, type Swarm } from '../../fixtures/swarm.ts'
import { launchChromium, REPO_ROOT, until } from './browser.ts'

export interface WebApp {
  proc: Tracked
  url: string
  origin: string
  stop(): Promise<number>
}

export async function startWebApp(opts: {
  out: string
  configHome: string
  timeoutMs?: number
  port?: number
}): Promise<WebApp> {
  // the data path's heap flag, as `pnpm app` passes it (tests and benchmarks measure what users run)
  const args = [
    ...DATA_PATH_NODE_FLAGS,
    '--import',
    import.meta.resolve('tsx'),
    join(REPO_ROOT, 'native-host', 'src', 'cli', 'app.ts'),
    '--no-open',
    '--no-port-mapping',
    '--port',
    String(opts.port ?? 0),
    '--out',
    opts.out,
  ]
  const proc = spawnTracked(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, XDG_CONFIG_HOME: opts.configHome, TIDEPOOL_NO_MULTICAST: '1' },
    name: 'tidepool app',
  })
  try {
    const line = await until(
      () => {
        if (proc.exitCode() !== null) throw new Error(`app exited: ${proc.stderr()}`)
        return proc.stdout.find((l) => l.startsWith('Tidepool is ready: '))
      },
      opts.timeoutMs ?? 120_000,
      'the web app URL',
    )
    const url = line.slice('Tidepool is ready: '.length).trim()
    return { proc, url, origin: new URL(url).origin, stop: () => proc.stop() }
  } catch (e) {
    await proc.stop()
    throw e
  }
}

/** One web-app browser test's world: a loopback swarm, the web app downloading into it, a fresh Chromium profile. */
export interface WebAppInChromium {
  swarm: Swarm
  app: WebApp
  context: BrowserContext
  /** Stops whatever started, in reverse order (also after a failed start). */
  close(): Promise<void>
}

export async function startWebAppInChromium(prefix: string): Promise<WebAppInChromium> {
  const stops: Array<() => Promise<unknown>> = []
  const close = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined) // best effort: the test's own failure is the one to see
  }
  try {
    const swarm = await createSwarm(`${prefix}swarm-`)
    stops.push(() => swarm.close())
    const home = await mkdtemp(join(tmpdir(), `${prefix}home-`))
    stops.push(() => rm(home, { recursive: true, force: true }))
    const app = await startWebApp({ out: join(swarm.work, 'downloads'), configHome: join(home, 'config') })
    stops.push(() => app.stop())
    const context = await launchChromium(join(home, 'profile'))
    stops.push(() => context.close())
    return { swarm, app, context, close }
  } catch (e) {
    await close()
    throw e
  }
}
