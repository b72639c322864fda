/**
 * `pnpm start` / `pnpm app`: the local web app. Builds the UI if needed, starts the daemon with a
 * `downloads` root and a fresh random token (this run only; never in argv, a URL or a file), serves
 * the UI from 127.0.0.1 and prints a login link `#login=<nonce>`: single use, valid 60 s. The page
 * trades it (POST /session) for the token and keeps that in sessionStorage. Enter prints a new link.
 *
 *   pnpm app [--port 8741] [--out ~/Downloads/Tidepool] [--daemon-port 0] [--no-open] [--rebuild]
 */
import { configDir } from '../native-messaging/config.ts'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { portMappingAllowed, startDaemon } from '../index.ts'
import { buildUi, REPO_ROOT, UI_DIST } from '../webapp/build-ui.ts'
import { LOGIN_TTL_MS, LoginNonces } from '../webapp/login-nonces.ts'
import { startStaticServer, type StaticServer } from '../webapp/static-server.ts'

export { buildUi }

interface AppArgs {
  port: number
  out: string
  daemonPort: number
  open: boolean
  rebuild: boolean
  portMapping: boolean
}

export function parseAppArgs(argv: string[]): AppArgs {
  const a: AppArgs = {
    port: 8741,
    out: join(homedir(), 'Downloads', 'Tidepool'),
    daemonPort: 0,
    open: true,
    rebuild: false,
    portMapping: true,
  }
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!
    const val = () => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${k} needs a value`)
      return v
    }
    const port = (v: string) => {
      const n = Number(v)
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${k}: not a port: ${v}`)
      return n
    }
    if (k === '--port') a.port = port(val())
    else if (k === '--daemon-port') a.daemonPort = port(val())
    else if (k === '--out') a.out = resolve(val().replace(/^~(?=\/|$)/, homedir()))
    else if (k === '--no-open') a.open = false
    else if (k === '--no-port-mapping') a.portMapping = false
    else if (k === '--rebuild') a.rebuild = true
    else if (k === '--help' || k === '-h')
      throw new Error(
        'usage: pnpm app [--port 8741] [--out DIR] [--daemon-port 0] [--no-open] [--rebuild] [--no-port-mapping]',
      )
    else throw new Error(`unknown option ${k}`)
  }
  return a
}

/** The extension's pinned id (extension/EXTENSION_ID), so the extension can share this daemon. */
function extensionOrigins(): string[] {
  const f = join(REPO_ROOT, 'extension', 'EXTENSION_ID')
  if (!existsSync(f)) return []
  const id = readFileSync(f, 'utf8').trim()
  return /^[a-p]{32}$/.test(id) ? [`chrome-extension://${id}`] : []
}

type Post = NonNullable<Parameters<typeof startStaticServer>[0]['post']>

async function listen(
  root: string,
  port: number,
  extra: Record<string, string>,
  connectSrc: () => string[],
  post: Post,
): Promise<StaticServer> {
  try {
    return await startStaticServer({ root, port, extra, connectSrc, post })
  } catch (e) {
    if ((e as { code?: string }).code !== 'EADDRINUSE' || port === 0) throw e
    process.stderr.write(`port ${port} is in use; using a free port instead\n`)
    return startStaticServer({ root, port: 0, extra, connectSrc, post })
  }
}

function openBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open'
  try {
    const p = spawn(cmd, [url], { stdio: 'ignore', detached: true })
    p.on('error', () => {}) // no such opener (ENOENT comes as an event): the printed URL is enough
    p.unref()
  } catch {
    /* no browser opener: the printed URL is enough */
  }
}

export interface WebAppOptions {
  /** Page port (0 = any free port; a busy preferred port falls back to a free one). */
  port?: number
  /** Folder served to the engine as the `downloads` root. */
  out: string
  daemonPort?: number
  rebuild?: boolean
  /** Let the daemon map ports on the router (still off under TIDEPOOL_NO_PORT_MAPPING). Default off. */
  portMapping?: boolean
  /** Serve this folder instead of building packages/ui (tests). */
  uiDir?: string
  log?: (m: string) => void
  /** Clock for login-link expiry (tests). */
  now?: () => number
  /** Where a security warning goes (default stderr). */
  onWarning?: (m: string) => void
  /** More folders, granted with `pnpm native-host grant` (config.json's `roots`); `pnpm app` passes its own. */
  grantsFile?: string
}

export interface RunningWebApp {
  /** The first login link: the page's origin plus `#login=<nonce>` (single use, 60 s). */
  url: string
  /** Mints a fresh login link (the previous ones stay single-use until they expire). */
  newLoginUrl(): string
  origin: string
  daemonUrl: string
  daemon: Awaited<ReturnType<typeof startDaemon>>
  close(): Promise<void>
}

/** Builds the UI if stale, starts the daemon and the page server. Used by `pnpm app` and by tests. */
export async function startWebApp(opts: WebAppOptions): Promise<RunningWebApp> {
  if (!opts.uiDir) {
    const b = await buildUi({ force: opts.rebuild ?? false, log: opts.log ?? (() => {}) })
    if (b.built) opts.log?.(`web UI built in ${b.ms} ms`)
  }
  await mkdir(opts.out, { recursive: true })
  // Per run: a token stolen from an earlier run is worthless, and none is ever written to disk.
  const token = randomBytes(32).toString('hex')
  const nonces = new LoginNonces(opts.now)
  const post: Post = {
    '/session': (body) => {
      let nonce: unknown
      try {
        nonce = (JSON.parse(body) as { nonce?: unknown }).nonce
      } catch {
        return { status: 400, json: { error: 'bad-request', message: 'expected {"nonce": "…"}' } }
      }
      const r = nonces.redeem(nonce)
      if (r.ok) return { status: 200, json: { token } }
      if (r.reason === 'used') {
        // The opener's argv is readable by other local users: a second use may mean someone raced the browser.
        ;(opts.onWarning ?? ((m: string) => process.stderr.write(`${m}\n`)))(
          'warning: a login link was used twice. If you did not open it twice, another program on this machine may have taken it: stop Tidepool (Ctrl-C) and start it again.',
        )
      }
      const message =
        r.reason === 'expired'
          ? `This login link expired (links work once, for ${LOGIN_TTL_MS / 1000} s). Press Enter in the terminal running Tidepool for a new one.`
          : r.reason === 'used'
            ? 'This login link was already used. If that was not you in another tab, stop Tidepool and start it again; otherwise press Enter in its terminal for a new link.'
            : 'This login link is not from this run of Tidepool. Press Enter in its terminal for a new one.'
      return { status: 403, json: { error: r.reason, message } }
    },
  }

  // The page must know the daemon URL and the daemon must know the page's origin: bind the page first.
  const extra: Record<string, string> = {}
  let daemonUrl = ''
  const server = await listen(
    opts.uiDir ?? UI_DIST,
    opts.port ?? 8741,
    extra,
    // `ws:` too: a companion daemon on the LAN (Settings → pair) is at an address only the user knows.
    // What a page can do there is gated by the pairing keys, not by this list.
    () => (daemonUrl ? [daemonUrl, 'ws:'] : ['ws:']),
    post,
  )
  const origin = `http://127.0.0.1:${server.port}`
  let daemon: Awaited<ReturnType<typeof startDaemon>>
  try {
    daemon = await startDaemon({
      port: opts.daemonPort ?? 0,
      token,
      roots: { downloads: opts.out },
      grantsFile: opts.grantsFile,
      allowOrigins: [origin, ...extensionOrigins()],
      allowNoOrigin: false,
      // Only when asked (`pnpm app` asks unless --no-port-mapping), and never under TIDEPOOL_NO_PORT_MAPPING.
      portMapping: opts.portMapping === true && portMappingAllowed(),
    })
  } catch (e) {
    await server.close()
    throw e
  }
  daemonUrl = daemon.url
  // The page shows the download folder's real path (the engine knows only the root's name).
  extra['/config.json'] = JSON.stringify({ daemonUrl, folders: { downloads: opts.out } })
  const d = daemon
  const newLoginUrl = () => `${origin}/#login=${nonces.mint()}`
  return {
    url: newLoginUrl(),
    newLoginUrl,
    origin,
    daemonUrl,
    daemon: d,
    close: async () => {
      await Promise.allSettled([d.close(), server.close()])
    },
  }
}

async function main(): Promise<void> {
  const args = parseAppArgs(process.argv.slice(2))
  const app = await startWebApp({
    port: args.port,
    out: args.out,
    daemonPort: args.daemonPort,
    rebuild: args.rebuild,
    portMapping: args.portMapping,
    log: (m) => process.stderr.write(`${m}\n`),
    grantsFile: join(configDir(), 'config.json'),
  })
  process.stdout.write(`Downloads go to ${args.out}\n`)
  process.stdout.write(`Tidepool is ready: ${app.url}\n`)
  if (args.open) openBrowser(app.url)
  // Enter prints a fresh single-use link (the old one expires after a minute or after one use).
  if (process.stdin.isTTY) {
    process.stdout.write('Press Enter for a new login link.\n')
    process.stdin.on('data', (b) => {
      if (b.includes(10) || b.includes(13)) process.stdout.write(`New login link: ${app.newLoginUrl()}\n`)
    })
  }
  let closing = false
  const stop = () => {
    if (closing) return
    closing = true
    void app.close().finally(() => process.exit(0))
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href
if (isMain) {
  main().catch((e) => {
    process.stderr.write(`tidepool app: ${(e as Error).message}\n`)
    process.exit(1)
  })
}
