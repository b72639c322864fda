import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectBridgeNode } from '@tidepool/daemon-bridge/node'
import { loadOrCreateToken, portMappingAllowed } from '../src/index.ts'
import { parseDaemonArgs } from '../src/daemon/cli-args.ts'
import { multicastByDefault } from '../src/daemon/start-daemon.ts'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tidepool-cli-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('daemon CLI', () => {
  it('parses its arguments', () => {
    const a = parseDaemonArgs([
      '--port',
      '0',
      '--token-file',
      '/t',
      '--root',
      'dl=/a=b',
      '--allow-origin',
      'chrome-extension://x',
      '--max-connects-pending',
      '90',
      '--parent-pid',
      '12',
    ])
    expect(a).toMatchObject({
      port: 0,
      tokenFile: '/t',
      roots: { dl: '/a=b' },
      allowOrigins: ['chrome-extension://x'],
      parentPid: 12,
      limits: { maxConnectsPending: 90 },
    })
    expect(() => parseDaemonArgs(['--root', 'x'])).toThrow(/NAME=DIR/)
    expect(() => parseDaemonArgs(['--port', '0'])).toThrow(/token-file/)
    expect(() => parseDaemonArgs(['--token-file', 'x', '--bogus'])).toThrow(/unknown/)
    expect(parseDaemonArgs(['--token-file', 'x'])).toMatchObject({ noPortMapping: false })
    expect(parseDaemonArgs(['--token-file', 'x', '--no-port-mapping'])).toMatchObject({ noPortMapping: true })
    expect(a.multicast).toBeUndefined() // the daemon's default (on, unless TIDEPOOL_NO_MULTICAST=1)
    expect(parseDaemonArgs(['--token-file', 'x', '--no-multicast']).multicast).toBe(false)
  })

  it('TIDEPOOL_NO_PORT_MAPPING turns port mapping off for every entry point', () => {
    expect(portMappingAllowed({})).toBe(true)
    expect(portMappingAllowed({ TIDEPOOL_NO_PORT_MAPPING: '' })).toBe(true)
    expect(portMappingAllowed({ TIDEPOOL_NO_PORT_MAPPING: '0' })).toBe(true)
    expect(portMappingAllowed({ TIDEPOOL_NO_PORT_MAPPING: '1' })).toBe(false)
    expect(portMappingAllowed({ TIDEPOOL_NO_PORT_MAPPING: 'yes' })).toBe(false)
    // The suites set it (vitest.config.ts), so no daemon a test starts maps ports unless the test says so.
    expect(process.env.TIDEPOOL_NO_PORT_MAPPING).toBe('1')
  })

  // Only the hello is exchanged: announcing the capability sends nothing to the network.
  it('the daemon process announces portmap unless --no-port-mapping or TIDEPOOL_NO_PORT_MAPPING', {
    timeout: 60_000,
  }, async () => {
    const tokenFile = join(dir, 'pm-token')
    const caps = async (extra: string[], env: Record<string, string>): Promise<string[]> => {
      const d = spawn(
        join(repo, 'node_modules', '.bin', 'tsx'),
        [
          join(repo, 'native-host/src/cli/daemon.ts'),
          '--port',
          '0',
          '--token-file',
          tokenFile,
          '--root',
          `x=${dir}`,
          ...extra,
        ],
        {
          stdio: ['ignore', 'pipe', 'ignore'],
          env: { ...process.env, ...env },
        },
      )
      try {
        const first = await new Promise<string>((resolve) =>
          createInterface({ input: d.stdout! }).once('line', resolve),
        )
        const { port } = JSON.parse(first) as { port: number }
        const c = await connectBridgeNode({
          url: `ws://127.0.0.1:${port}`,
          token: (await readFile(tokenFile, 'utf8')).trim(),
        })
        c.close()
        return [...c.capabilities].filter((x) => x === 'portmap') // the others are always offered
      } finally {
        d.kill('SIGTERM')
      }
    }
    expect(await caps([], { TIDEPOOL_NO_PORT_MAPPING: '' })).toEqual(['portmap'])
    expect(await caps(['--no-port-mapping'], { TIDEPOOL_NO_PORT_MAPPING: '' })).toEqual([])
    expect(await caps([], { TIDEPOOL_NO_PORT_MAPPING: '1' })).toEqual([])
  })

  it('offers multicast by default, not under TIDEPOOL_NO_MULTICAST=1', () => {
    expect(multicastByDefault({})).toBe(true)
    expect(multicastByDefault({ TIDEPOOL_NO_MULTICAST: '0' })).toBe(true)
    expect(multicastByDefault({ TIDEPOOL_NO_MULTICAST: '1' })).toBe(false)
    // the suite itself runs with the guard on (vitest.config.ts)
    expect(process.env.TIDEPOOL_NO_MULTICAST).toBe('1')
  })

  it('creates a 256-bit token with mode 0600 and reuses it', async () => {
    const f = join(dir, 'sub', 'token')
    const t = await loadOrCreateToken(f)
    expect(t).toMatch(/^[0-9a-f]{64}$/)
    expect((await stat(f)).mode & 0o777).toBe(0o600)
    expect(await loadOrCreateToken(f)).toBe(t)
  })

  it('prints {"port"} first without the token, and exits when --parent-pid is gone', { timeout: 30_000 }, async () => {
    const parent = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'])
    const tokenFile = join(dir, 'cli-token')
    const d = spawn(
      join(repo, 'node_modules', '.bin', 'tsx'),
      [
        join(repo, 'native-host/src/cli/daemon.ts'),
        '--port',
        '0',
        '--token-file',
        tokenFile,
        '--root',
        `x=${dir}`,
        '--parent-pid',
        String(parent.pid),
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let all = ''
    d.stderr!.on('data', (b) => (all += b))
    const first = await new Promise<string>((resolve) => createInterface({ input: d.stdout! }).once('line', resolve))
    d.stdout!.on('data', (b) => (all += b))
    const info = JSON.parse(first) as { port: number; pid: number }
    expect(info.port).toBeGreaterThan(0)
    const token = (await readFile(tokenFile, 'utf8')).trim()
    expect(first + all).not.toContain(token)
    const exited = new Promise<number | null>((r) => d.once('exit', (code) => r(code)))
    parent.kill('SIGKILL')
    const t0 = Date.now()
    expect(await exited).toBe(0)
    expect(Date.now() - t0).toBeLessThan(5000)
    expect(() => process.kill(info.pid, 0)).toThrow()
  })
})
