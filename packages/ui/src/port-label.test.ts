import { describe, expect, it } from 'vitest'
import type { EngineStatus } from '@tidepool/engine'
import { portLabel } from './port-label.ts'

const base: EngineStatus = { daemon: 'connected', listenPort: 6881, downloadRate: 0, uploadRate: 0 }

describe('status bar port label', () => {
  it('shows where the router forwards the port from, or that it does not', () => {
    expect(portLabel(base)).toBe('port 6881')
    expect(portLabel({ ...base, portMapping: { state: 'off', mappings: [], summary: 'Port mapping is off' } })).toBe(
      'port 6881',
    )
    const m = { protocol: 'tcp' as const, internalPort: 6881 }
    expect(
      portLabel({
        ...base,
        portMapping: {
          state: 'mapped',
          summary: '',
          mappings: [{ ...m, state: 'mapped', externalAddress: '203.0.113.5', externalPort: 6881 }],
        },
      }),
    ).toBe('port 6881 · mapped as 203.0.113.5:6881')
    expect(
      portLabel({
        ...base,
        portMapping: { state: 'failed', summary: '', mappings: [{ ...m, state: 'failed', error: 'x' }] },
      }),
    ).toBe('port 6881 · not mapped')
    expect(
      portLabel({ ...base, portMapping: { state: 'pending', summary: '', mappings: [{ ...m, state: 'pending' }] } }),
    ).toBe('port 6881 · mapping…')
  })
})
