// Port mapping against a real IGD: Debian's miniupnpd as the gateway of network namespaces this test
// builds (test/fixtures/netns-gateway.ts). Nothing reaches this machine's own network: the client, the
// gateway and the one "internet" host live in their own namespaces joined only by veth pairs.
import { spawnSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { makeTorrent } from '../fixtures/make-torrent.ts'
import {
  gatewayUnavailable,
  LAN_CLIENT,
  startGatewayNet,
  WAN_ADDRESS,
  type GatewayNet,
} from '../fixtures/netns-gateway.ts'
import { spawnTracked, type JsonLine, type Tracked } from '../fixtures/processes.ts'
import { REPO_ROOT, tidepoolSeed, type TidepoolSeed } from '../fixtures/tidepool-cli.ts'

const PROBE = fileURLToPath(new URL('../fixtures/portmap-probe.ts', import.meta.url))
const why = gatewayUnavailable()
// CI demands the test: then a machine that cannot run it fails instead of skipping.
const run = why === null || process.env.TIDEPOOL_REQUIRE_INTEROP === '1'

/** The gateway's DNAT rule for this port and protocol, if any. */
function ruleFor(net: GatewayNet, protocol: 'tcp' | 'udp', port: number): string | undefined {
  const proto = protocol === 'tcp' ? '0x6' : '0x11'
  return net
    .natRules()
    .find((r) => r.includes(` ${proto} `) && r.includes(`dport ${port} dnat ip to ${LAN_CLIENT}:${port}`))
}

/** From the WAN namespace: a BitTorrent handshake to addr:port; resolves with the info-hash the peer answers with. */
function handshakeFromWan(net: GatewayNet, address: string, port: number, infoHash: string): string {
  const js = `const s=require('net').connect(${port},'${address}');const t=setTimeout(()=>{console.log('timeout');process.exit(1)},10000);
const h=Buffer.alloc(68);h[0]=19;h.write('BitTorrent protocol',1);Buffer.from('${infoHash}','hex').copy(h,28);h.write('-XX0001-wanpeer00000',48);
let got=Buffer.alloc(0);s.on('connect',()=>s.write(h));s.on('data',(d)=>{got=Buffer.concat([got,d]);if(got.length>=68){clearTimeout(t);console.log(got.subarray(28,48).toString('hex'));s.destroy();process.exit(0)}});
s.on('error',(e)=>{console.log('error '+e.code);process.exit(1)})`
  const r = spawnSync('ip', ['netns', 'exec', net.wan, process.execPath, '-e', js], {
    encoding: 'utf8',
    timeout: 15_000,
  })
  return (r.stdout ?? '').trim() || `exit ${r.status}: ${r.stderr}`
}

describe.skipIf(!run)('port mapping against miniupnpd in network namespaces', () => {
  let net: GatewayNet
  let work: string
  const procs: Array<Tracked | TidepoolSeed> = []
  beforeAll(async () => {
    if (why) throw new Error(`cannot run the miniupnpd gateway here: ${why}`)
    net = await startGatewayNet()
    work = await mkdtemp(join(tmpdir(), 'tidepool-portmap-'))
  }, 60_000)
  afterEach(async () => {
    for (const p of procs.splice(0)) await p.stop()
  })
  afterAll(async () => {
    await net?.close()
    if (work) await rm(work, { recursive: true, force: true })
  })

  const cases = [
    { method: 'pcp', port: 40101 },
    { method: 'natpmp', port: 40102 },
    { method: 'upnp', port: 40103 },
  ] as const
  for (const { method, port } of cases) {
    it(`${method}: TCP and UDP mapped, renewed before expiry, removed on exit`, async () => {
      // Lease 4 s: the mapper renews at half of it (the probe allows renewals every second).
      const probe = spawnTracked(
        'ip',
        [
          'netns',
          'exec',
          net.lan,
          process.execPath,
          '--import',
          'tsx',
          PROBE,
          '--method',
          method,
          '--port',
          String(port),
          '--lifetime',
          '4',
        ],
        {
          cwd: REPO_ROOT,
          stdin: true,
          name: `portmap probe ${method}`,
          allowPortMapping: true,
        },
      )
      procs.push(probe)
      const mapped = (l: JsonLine, protocol: string) =>
        l.event === 'status' && l.state === 'mapped' && l.protocol === protocol
      const tcp = await probe.waitFor((l) => mapped(l, 'tcp'), 20_000, `${method} tcp mapped`)
      await probe.waitFor((l) => mapped(l, 'udp'), 20_000, `${method} udp mapped`)
      expect(tcp).toMatchObject({ method, externalAddress: WAN_ADDRESS, externalPort: port, gateway: '10.77.0.1' })
      expect(Number(tcp.lifetimeSec)).toBeGreaterThan(0)
      expect(ruleFor(net, 'tcp', port), net.natRules().join('\n')).toBeDefined()
      expect(ruleFor(net, 'udp', port), net.natRules().join('\n')).toBeDefined()
      // Renewed: a second 'mapped' for TCP within a few lease halves, and the rule is still there after
      // the first lease would have run out.
      const t0 = Date.now()
      await expect
        .poll(() => probe.json.filter((l) => mapped(l, 'tcp')).length, { timeout: 15_000, interval: 200 })
        .toBeGreaterThanOrEqual(3)
      expect(Date.now() - t0).toBeGreaterThan(1000)
      expect(ruleFor(net, 'tcp', port)).toBeDefined()
      probe.write('quit\n')
      const closed = await probe.waitFor((l) => l.event === 'closed', 15_000, 'probe closed')
      expect(Number(closed.ms)).toBeLessThan(10_000)
      expect(ruleFor(net, 'tcp', port), 'TCP mapping left on the gateway').toBeUndefined()
      expect(ruleFor(net, 'udp', port), 'UDP mapping left on the gateway').toBeUndefined()
      expect(await probe.waitExit(10_000)).toBe(0)
    })
  }

  it('tidepool seed maps its listen port (a peer on the WAN side reaches it through the gateway) and removes the mapping on exit', async () => {
    const t = await makeTorrent({ dir: work, name: 'mapped.bin', size: 256 * 1024, pieceLength: 32 * 1024 })
    const seed = await tidepoolSeed(t.torrentPath, {
      data: work,
      portMappingIn: net.lan,
      name: 'tidepool seed (LAN namespace)',
    })
    procs.push(seed)
    const pm = await seed.proc.waitFor(
      (l) => l.event === 'portMapping' && l.state !== 'pending',
      30_000,
      'portMapping line',
    )
    expect(pm.state, JSON.stringify(pm)).toBe('mapped')
    const tcp = (pm.mappings as Array<Record<string, unknown>>).find((m) => m.protocol === 'tcp')!
    expect(tcp).toMatchObject({
      state: 'mapped',
      internalPort: seed.listenPort,
      externalAddress: WAN_ADDRESS,
      gateway: '10.77.0.1',
    })
    expect(seed.proc.stderr()).toContain(
      `port mapping: Port ${seed.listenPort} mapped as ${WAN_ADDRESS}:${tcp.externalPort} via`,
    )
    expect(ruleFor(net, 'tcp', seed.listenPort), net.natRules().join('\n')).toBeDefined()
    const listing = net.upnpcList()
    if (listing !== null) expect(listing).toContain(`TCP ${tcp.externalPort}->${LAN_CLIENT}:${seed.listenPort}`)
    // The point of it all: a host outside the NAT opens a connection to the public address and port
    // and gets Tidepool's BitTorrent handshake for the torrent.
    expect(handshakeFromWan(net, WAN_ADDRESS, Number(tcp.externalPort), t.infoHash)).toBe(t.infoHash)
    expect(await seed.stop()).toBeGreaterThanOrEqual(0)
    procs.splice(procs.indexOf(seed), 1)
    expect(ruleFor(net, 'tcp', seed.listenPort), 'mapping left on the gateway after tidepool exited').toBeUndefined()
    if (listing !== null) expect(net.upnpcList()).not.toContain(`->${LAN_CLIENT}:${seed.listenPort}`)
  })
  it("tidepool seed with the DHT on maps the DHT's UDP port too, and removes both mappings on exit", async () => {
    const t = await makeTorrent({ dir: work, name: 'mapped-dht.bin', size: 64 * 1024, pieceLength: 32 * 1024 })
    // The DHT binds and is mapped whether or not a node answers: the bootstrap node is the LAN
    // namespace's own loopback, where nothing listens (nothing leaves the namespaces).
    const seed = await tidepoolSeed(t.torrentPath, {
      data: work,
      portMappingIn: net.lan,
      dhtBootstrap: ['127.0.0.1:9'],
      name: 'tidepool seed with DHT (LAN namespace)',
    })
    procs.push(seed)
    const dhtPort = Number(seed.proc.json.find((l) => l.event === 'seeding')?.dhtPort)
    expect(dhtPort).toBe(seed.listenPort) // the DHT runs on the listen port by default
    const pm = await seed.proc.waitFor(
      (l) => l.event === 'portMapping' && l.state === 'mapped' && (l.mappings as unknown[]).length === 2,
      30_000,
      'portMapping line with both mappings',
    )
    const udp = (pm.mappings as Array<Record<string, unknown>>).find((m) => m.protocol === 'udp')
    expect(udp, JSON.stringify(pm)).toMatchObject({
      state: 'mapped',
      internalPort: dhtPort,
      externalAddress: WAN_ADDRESS,
      gateway: '10.77.0.1',
    })
    expect(ruleFor(net, 'udp', dhtPort), net.natRules().join('\n')).toBeDefined()
    expect(ruleFor(net, 'tcp', seed.listenPort), net.natRules().join('\n')).toBeDefined()
    expect(await seed.stop()).toBeGreaterThanOrEqual(0)
    procs.splice(procs.indexOf(seed), 1)
    expect(ruleFor(net, 'udp', dhtPort), 'UDP mapping left on the gateway after tidepool exited').toBeUndefined()
    expect(ruleFor(net, 'tcp', seed.listenPort), 'TCP mapping left on the gateway').toBeUndefined()
  })
})
