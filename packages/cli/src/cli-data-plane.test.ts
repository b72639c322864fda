import { describe, expect, it } from 'vitest'
import { DEFAULT_SETTINGS, mergeSettings } from '@tidepool/engine'
import { dataPlaneSetting } from './cli-engine.ts'

describe('the dataPlane setting', () => {
  it('is on by default; TIDEPOOL_DATA_PLANE=0 turns it off for the CLI (A/B runs)', () => {
    expect(DEFAULT_SETTINGS.dataPlane).toBe(true)
    expect(dataPlaneSetting({})).toEqual({})
    expect(dataPlaneSetting({ TIDEPOOL_DATA_PLANE: '1' })).toEqual({})
    expect(dataPlaneSetting({ TIDEPOOL_DATA_PLANE: '0' })).toEqual({ dataPlane: false })
  })

  it('takes only booleans', () => {
    expect(mergeSettings(DEFAULT_SETTINGS, { dataPlane: false }).dataPlane).toBe(false)
    expect(mergeSettings(DEFAULT_SETTINGS, { dataPlane: 'no' }).dataPlane).toBe(true)
  })
})
