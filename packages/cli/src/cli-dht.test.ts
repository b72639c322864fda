import { describe, expect, it } from 'vitest'
import { parseArgs } from './args.ts'
import { dhtSettings } from './cli-engine.ts'

describe("the CLI's DHT settings", () => {
  const choice = (...extra: string[]) =>
    (parseArgs(['download', 'a.torrent', '--out', 'd', ...extra]) as { dht: Parameters<typeof dhtSettings>[0] }).dht
  it("default: the engine's (on, public routers); off under TIDEPOOL_DHT=off, which every test harness sets", () => {
    expect(dhtSettings(choice(), {})).toEqual({})
    expect(dhtSettings(choice(), { TIDEPOOL_DHT: 'off' })).toEqual({ dhtEnabled: false })
  })
  it('--no-dht is off; --dht-bootstrap is on with those nodes only, whatever the environment', () => {
    expect(dhtSettings(choice('--no-dht'), {})).toEqual({ dhtEnabled: false })
    expect(dhtSettings(choice('--dht-bootstrap', '127.0.0.1:7000'), { TIDEPOOL_DHT: 'off' })).toEqual({
      dhtEnabled: true,
      dhtBootstrap: ['127.0.0.1:7000'],
    })
  })
})
