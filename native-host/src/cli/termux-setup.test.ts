import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { bootScript, isTermux, termuxSetup } from './termux-setup.ts'

describe('termux-setup', () => {
  let home = ''
  afterEach(async () => {
    if (home) await rm(home, { recursive: true, force: true })
  })

  it('knows Termux by its prefix or TERMUX_VERSION', () => {
    expect(isTermux({ PREFIX: '/data/data/com.termux/files/usr' })).toBe(true)
    expect(isTermux({ TERMUX_VERSION: '0.118.0' })).toBe(true)
    expect(isTermux({ PREFIX: '/usr/local' })).toBe(false)
  })

  it('writes an executable Termux:Boot script that takes a wake lock and execs companion mode', async () => {
    home = await mkdtemp(join(tmpdir(), 'tidepool-termux-'))
    const command = ['/usr/bin/node', '--initial-old-space-size=64', "/opt/it's here/tidepool-helper.mjs", 'companion']
    const r = await termuxSetup({ env: { HOME: home, PREFIX: '/data/data/com.termux/files/usr' }, command })
    expect(r.bootScript).toBe(join(home, '.termux', 'boot', 'tidepool-helper'))
    expect(r.isTermux).toBe(true)
    const text = await readFile(r.bootScript, 'utf8')
    expect(text.split('\n')[0]).toBe('#!/data/data/com.termux/files/usr/bin/sh')
    expect(text).toContain('termux-wake-lock')
    expect((await stat(r.bootScript)).mode & 0o777).toBe(0o700)
    // the quoting survives a real shell: run the script's exec line with echo in place of node
    const log = join(home, 'log')
    const script = bootScript({ shell: '/bin/sh', command: ['echo', ...command.slice(1)], logFile: log })
    execFileSync('/bin/sh', ['-c', script.split('\n').slice(1).join('\n')])
    expect((await readFile(log, 'utf8')).trim()).toBe(
      `--initial-old-space-size=64 /opt/it's here/tidepool-helper.mjs companion`,
    )
  })

  it('says so when it is not Termux', async () => {
    home = await mkdtemp(join(tmpdir(), 'tidepool-termux-'))
    const r = await termuxSetup({ env: { HOME: home }, command: ['node', 'x.mjs', 'companion'] })
    expect(r.isTermux).toBe(false)
    expect(r.message).toMatch(/does not look like Termux/)
  })
})
