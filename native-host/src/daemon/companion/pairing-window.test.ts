import { describe, expect, it } from 'vitest'
import { parseCompanionArgs } from './companion-args.ts'
import { CODE_LENGTH, formatCode, newPairingCode, PairingWindow } from './pairing-window.ts'

describe('PairingWindow', () => {
  it('closes after its time, after the last allowed failure, and on success', () => {
    let now = 1000
    const w = new PairingWindow('ABCDEFGH', { ttlMs: 60_000, maxFailures: 2, minIntervalMs: 0, now: () => now })
    expect(w.begin()).toBeNull()
    expect(w.begin()).toBe('pairing busy') // one attempt at a time
    w.failed()
    expect(w.begin()).toBeNull()
    w.failed()
    expect(w.open).toBe(false)
    expect(w.begin()).toBe('pairing window closed')

    const ok = new PairingWindow('ABCDEFGH', { ttlMs: 60_000, minIntervalMs: 0, now: () => now })
    expect(ok.begin()).toBeNull()
    ok.succeeded()
    expect(ok.begin()).toBe('pairing window closed')

    const timed = new PairingWindow('ABCDEFGH', { ttlMs: 60_000, now: () => now })
    now += 60_000
    expect(timed.begin()).toBe('pairing window expired')
  })

  it('refuses attempts closer than the minimum interval', () => {
    let now = 0
    const w = new PairingWindow('ABCDEFGH', { minIntervalMs: 1000, now: () => now })
    expect(w.begin()).toBeNull()
    w.failed()
    now += 500
    expect(w.begin()).toBe('pairing rate-limited')
    now += 500
    expect(w.begin()).toBeNull()
  })

  it('makes codes from the unambiguous alphabet, printed in two groups', () => {
    const c = newPairingCode()
    expect(c).toMatch(new RegExp(`^[ABCDEFGHJKMNPQRSTVWXYZ2-9]{${CODE_LENGTH}}$`))
    expect(formatCode('ABCDEFGH')).toBe('ABCD-EFGH')
  })
})

describe('companion command line', () => {
  it('takes --listen, the companion flags, and leaves the rest to the daemon parser', () => {
    const a = parseCompanionArgs([
      '--companion',
      '--listen',
      '10.0.0.5:9000',
      '--name',
      'phone',
      '--root',
      'downloads=/x',
      '--no-pairing',
    ])
    expect([a.host, a.port, a.name, a.pairingMinutes, a.rest]).toEqual([
      '10.0.0.5',
      9000,
      'phone',
      0,
      ['--root', 'downloads=/x'],
    ])
    expect(parseCompanionArgs(['--companion', '--listen', '[fd00::5]:8742']).host).toBe('fd00::5')
    expect(parseCompanionArgs(['--companion', '--revoke', 'laptop']).revoke).toBe('laptop')
    expect(() => parseCompanionArgs(['--companion', '--listen', '10.0.0.5'])).toThrow(/ADDR:PORT/)
  })
})
