import { describe, expect, it } from 'vitest'
import { parseArgs, UsageError } from './args.ts'

describe('parseArgs', () => {
  it('parses a download with every option', () => {
    const a = parseArgs([
      'download',
      'a.torrent',
      'magnet:?xt=urn:btih:aa',
      '--out',
      '/tmp/x',
      '--json',
      '--timeout=30',
      '--seed',
      '--port',
      '6881',
      '--daemon-url',
      'ws://127.0.0.1:1',
      '--token-file',
      't',
      '--no-lsd',
      '--no-port-mapping',
      '--sequential',
    ])
    expect(a).toEqual({
      command: 'download',
      inputs: ['a.torrent', 'magnet:?xt=urn:btih:aa'],
      out: '/tmp/x',
      json: true,
      timeoutSec: 30,
      seed: true,
      port: 6881,
      daemonUrl: 'ws://127.0.0.1:1',
      tokenFile: 't',
      stateDir: null,
      debug: null,
      lsd: false,
      portMapping: false,
      encryption: 'prefer',
      dht: null,
      webSeeds: true,
      utp: true,
      sequential: true,
    })
  })
  it('uTP is on unless --no-utp', () => {
    expect(parseArgs(['download', 'a.torrent', '--out', 'd', '--no-utp'])).toMatchObject({ utp: false })
    expect(parseArgs(['seed', 'x.torrent', '--data', 'd', '--no-utp'])).toMatchObject({ utp: false })
    expect(parseArgs(['seed', 'x.torrent', '--data', 'd'])).toMatchObject({ utp: true })
  })
  it('parses a stream: --port is the URL port, --file the file, --out defaults to .', () => {
    expect(parseArgs(['stream', 'a.torrent', '--file', '2', '--port', '8090'])).toMatchObject({
      command: 'stream',
      input: 'a.torrent',
      file: 2,
      streamPort: 8090,
      port: 0,
      out: '.',
      sequential: false,
    })
    expect(parseArgs(['stream', 'magnet:?xt=urn:btih:aa'])).toMatchObject({ file: null, streamPort: 0 })
    expect(() => parseArgs(['stream', 'a.torrent', '--file', '-1'])).toThrow('bad --file')
    expect(() => parseArgs(['stream', 'a.torrent', 'b.torrent'])).toThrow('exactly one')
  })
  it('local peer discovery is on unless --no-lsd', () => {
    expect(parseArgs(['download', 'a.torrent', '--out', 'd'])).toMatchObject({ lsd: true })
    expect(parseArgs(['seed', 'x.torrent', '--data', 'd'])).toMatchObject({ lsd: true })
    expect(parseArgs(['seed', 'x.torrent', '--data', 'd', '--no-lsd'])).toMatchObject({ lsd: false })
  })
  it('maps the listen port unless --no-port-mapping', () => {
    expect(parseArgs(['download', 'a.torrent', '--out', 'd'])).toMatchObject({ portMapping: true })
    expect(parseArgs(['seed', 'x.torrent', '--data', 'd'])).toMatchObject({ portMapping: true })
    expect(parseArgs(['seed', 'x.torrent', '--data', 'd', '--no-port-mapping'])).toMatchObject({ portMapping: false })
  })
  it('--no-web-seeds', () => {
    expect(parseArgs(['download', 'a.torrent', '--out', 'd'])).toMatchObject({ webSeeds: true })
    expect(parseArgs(['download', 'a.torrent', '--out', 'd', '--no-web-seeds'])).toMatchObject({ webSeeds: false })
  })
  it('--no-dht and --dht-bootstrap', () => {
    const dl = (...extra: string[]) => parseArgs(['download', 'a.torrent', '--out', 'd', ...extra])
    expect(dl('--no-dht')).toMatchObject({ dht: { enabled: false } })
    expect(dl('--dht-bootstrap', '127.0.0.1:6881,[::1]:7000, host.example:1')).toMatchObject({
      dht: { enabled: true, bootstrap: ['127.0.0.1:6881', '[::1]:7000', 'host.example:1'] },
    })
    expect(
      parseArgs(['seed', 'x.torrent', '--data', 'd', '--port', '7000', '--dht-bootstrap=127.0.0.1:7001']),
    ).toMatchObject({ port: 7000, dht: { enabled: true, bootstrap: ['127.0.0.1:7001'] } })
    for (const bad of [
      ['--dht-bootstrap', '127.0.0.1'],
      ['--dht-bootstrap', ','],
      ['--dht-bootstrap', 'h:0'],
      ['--dht-bootstrap', 'h:1', '--no-dht'],
    ]) {
      expect(() => dl(...bad), bad.join(' ')).toThrow(UsageError)
    }
  })
  it('parses seed', () => {
    expect(parseArgs(['seed', 'x.torrent', '--data', 'd', '--port', '7000'])).toMatchObject({
      command: 'seed',
      torrent: 'x.torrent',
      data: 'd',
      port: 7000,
    })
  })
  it('refuses bad input with a usage error', () => {
    for (const argv of [
      ['download', '--out', 'd'],
      ['download', 'a.torrent'],
      ['download', 'a', '--out', 'd', '--timeout', '-1'],
      ['download', 'a', '--out', 'd', '--port', '70000'],
      ['download', 'a', '--out', 'd', '--bogus'],
      ['download', 'a', '--out'],
      ['download', 'a', '--out', 'd', '--daemon-url', 'ws://x'],
      ['seed', 'a', 'b', '--data', 'd'],
      ['seed', 'a'],
      ['frobnicate'],
      ['download', 'a', '--out', 'd', '--debug=nope'],
    ])
      expect(() => parseArgs(argv), argv.join(' ')).toThrow(UsageError)
  })
  it('--encryption: prefer by default, one of three policies on both commands', () => {
    expect(parseArgs(['download', 'a.torrent', '--out', 'd'])).toMatchObject({ encryption: 'prefer' })
    expect(parseArgs(['download', 'a.torrent', '--out', 'd', '--encryption', 'require'])).toMatchObject({
      encryption: 'require',
    })
    expect(parseArgs(['seed', 'x.torrent', '--data', 'd', '--encryption=disable'])).toMatchObject({
      encryption: 'disable',
    })
    expect(() => parseArgs(['seed', 'x.torrent', '--data', 'd', '--encryption', 'forced'])).toThrow(
      /bad --encryption "forced"/,
    )
  })

  it('--debug: alone every component, or a list, without eating a torrent name', () => {
    const dl = (...extra: string[]) => parseArgs(['download', 'a.torrent', '--out', 'd', ...extra])
    expect(dl()).toMatchObject({ debug: null })
    expect(dl('--debug')).toMatchObject({ debug: 'all', inputs: ['a.torrent'] })
    expect(dl('--debug', 'tracker,peer')).toMatchObject({ debug: ['tracker', 'peer'], inputs: ['a.torrent'] })
    expect(dl('--debug=pool')).toMatchObject({ debug: ['pool'] })
    expect(parseArgs(['download', '--debug', 'b.torrent', '--out', 'd'])).toMatchObject({
      debug: 'all',
      inputs: ['b.torrent'],
    })
    expect(parseArgs(['seed', 'x.torrent', '--data', 'd', '--debug', 'all'])).toMatchObject({ debug: 'all' })
    expect(() => dl('--debug=trackers')).toThrow(/unknown --debug component "trackers"/)
  })
  it('help', () => {
    expect(parseArgs([])).toEqual({ command: 'help' })
  })
})
