import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeFrame, FrameReader } from '../native-messaging/framing.ts'
import { pidAlive, readDaemonState } from '../native-messaging/daemon-state.ts'
import { parseInstallArgs } from './args.ts'
import { install, uninstall } from './install.ts'
import { launcherPath, manifestDir } from './locations.ts'

const ID = 'abcdefghijklmnopabcdefghijklmnop'

describe('manifest locations', () => {
  it('follows Chrome and Chromium on Linux and macOS, and a custom user-data-dir', () => {
    const env = {}
    expect(manifestDir({ browser: 'chrome', platform: 'linux', home: '/h', env })).toBe(
      '/h/.config/google-chrome/NativeMessagingHosts',
    )
    expect(manifestDir({ browser: 'chromium', platform: 'linux', home: '/h', env })).toBe(
      '/h/.config/chromium/NativeMessagingHosts',
    )
    expect(manifestDir({ browser: 'chromium', platform: 'linux', home: '/h', env: { XDG_CONFIG_HOME: '/x' } })).toBe(
      '/x/chromium/NativeMessagingHosts',
    )
    expect(manifestDir({ browser: 'chrome', platform: 'darwin', home: '/h', env })).toBe(
      '/h/Library/Application Support/Google/Chrome/NativeMessagingHosts',
    )
    expect(manifestDir({ browser: 'chromium', platform: 'darwin', home: '/h', env })).toBe(
      '/h/Library/Application Support/Chromium/NativeMessagingHosts',
    )
    expect(manifestDir({ browser: 'chrome', platform: 'linux', home: '/h', userDataDir: '/p' })).toBe(
      '/p/NativeMessagingHosts',
    )
    expect(() => manifestDir({ browser: 'chrome', platform: 'win32', home: 'C:\\h', env })).toThrow(
      /docs\/native-host.md/,
    )
    expect(launcherPath({ browser: 'chrome', platform: 'linux', home: '/h', env })).toBe(
      '/h/.local/share/tidepool/native-host.sh',
    )
  })

  it('parses the command line', () => {
    expect(parseInstallArgs(['install', '--browser', 'chromium', '--extension-id', ID])).toMatchObject({
      action: 'install',
      options: { browser: 'chromium', extensionId: ID },
    })
    expect(parseInstallArgs(['uninstall'])).toMatchObject({ action: 'uninstall', options: { browser: 'chrome' } })
    expect(() => parseInstallArgs(['install', '--browser', 'firefox'])).toThrow(/chrome or chromium/)
    expect(() => parseInstallArgs(['install', '--user-data-dir'])).toThrow(/needs a value/)
    expect(() => parseInstallArgs(['uninstall', '--download-root', '/x'])).toThrow(/unknown option/)
  })
})

describe('install / uninstall (temp dirs)', () => {
  let home = ''
  let daemonPid = 0
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'tidepool-install-'))
  })
  afterAll(async () => {
    if (daemonPid && pidAlive(daemonPid)) process.kill(daemonPid, 'SIGTERM')
    await rm(home, { recursive: true, force: true })
  })

  it('writes a manifest for the home location with an absolute executable path', async () => {
    const env = { XDG_CONFIG_HOME: join(home, 'cfg'), XDG_DATA_HOME: join(home, 'data') }
    const r = await install({ browser: 'chromium', extensionId: ID, platform: 'linux', home, env })
    expect(r.manifestPath).toBe(join(home, 'cfg', 'chromium', 'NativeMessagingHosts', 'com.tidepool.daemon.json'))
    const m = JSON.parse(await readFile(r.manifestPath, 'utf8'))
    expect(m).toEqual({
      name: 'com.tidepool.daemon',
      description: expect.any(String),
      path: join(home, 'data', 'tidepool', 'native-host.sh'),
      type: 'stdio',
      allowed_origins: [`chrome-extension://${ID}/`],
    })
    expect((await stat(m.path)).mode & 0o111).toBe(0o111)
    const script = await readFile(m.path, 'utf8')
    expect(script).toMatch(/^#!\/bin\/sh\n/)
    // from a checkout: tsx's loader and the host script, absolute paths, quoted
    expect(script).toContain(`exec '${process.execPath}' '--import' 'file://`)
    expect(script).toContain(`native-host.ts' "$@"`)
    expect(script).not.toContain('TIDEPOOL_CONFIG_DIR')
    const u = await uninstall({ browser: 'chromium', platform: 'linux', home, env })
    expect(u.removed).toEqual([r.manifestPath, m.path])
    expect(existsSync(r.manifestPath)).toBe(false)
    expect((await uninstall({ browser: 'chromium', platform: 'linux', home, env })).removed).toEqual([])
  })

  it('refuses a malformed extension id', async () => {
    await expect(
      install({ browser: 'chrome', extensionId: 'not-an-id', userDataDir: join(home, 'x') }),
    ).rejects.toThrow(/extension id/)
  })

  it('installs into a user-data-dir; the written launcher runs the host and starts a daemon', async () => {
    const profile = join(home, 'profile')
    const cfg = join(home, 'tp-config')
    const dl = join(home, 'downloads')
    const r = await install({
      browser: 'chromium',
      extensionId: ID,
      userDataDir: profile,
      configDir: cfg,
      downloadRoot: dl,
    })
    expect(r.manifestPath).toBe(join(profile, 'NativeMessagingHosts', 'com.tidepool.daemon.json'))
    expect(JSON.parse(await readFile(r.configFile!, 'utf8'))).toEqual({ downloadRoot: dl })
    // re-install keeps other config keys
    await writeFile(r.configFile!, JSON.stringify({ downloadRoot: '/old', webAppOrigins: ['http://127.0.0.1:9999'] }))
    await install({ browser: 'chromium', extensionId: ID, userDataDir: profile, configDir: cfg, downloadRoot: dl })
    expect(JSON.parse(await readFile(r.configFile!, 'utf8'))).toEqual({
      downloadRoot: dl,
      webAppOrigins: ['http://127.0.0.1:9999'],
    })

    // run the launcher exactly as Chrome would: executable path, origin as the only argument
    const child = spawn(r.launcherPath, [`chrome-extension://${ID}/`], {
      stdio: ['pipe', 'pipe', 'ignore'],
      env: { PATH: process.env.PATH, HOME: home },
    })
    const reader = new FrameReader()
    const reply = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no reply in 25 s')), 25_000)
      child.stdout!.on('data', (b: Buffer) => {
        const [m] = reader.push(b)
        if (m) {
          clearTimeout(t)
          resolve(m as Record<string, unknown>)
        }
      })
      child.stdin!.write(encodeFrame({ type: 'hello' }))
    })
    const st = await readDaemonState(cfg)
    daemonPid = st!.pid
    expect(reply).toMatchObject({ type: 'daemon', port: st!.port, version: '0.1.0' })
    expect(st!.downloadRoot).toBe(dl)
    expect(st!.origins).toEqual([`chrome-extension://${ID}`, 'http://127.0.0.1:9999'])
    expect(existsSync(dl)).toBe(true)
    child.stdin!.end()
    await new Promise((r) => child.once('exit', r))
  })
})
