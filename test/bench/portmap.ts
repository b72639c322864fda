// pnpm bench:portmap [--repeat 3]: how long the daemon's PortMapper takes to map (TCP and UDP) and to
// delete, per method, against Debian's miniupnpd as the gateway of network namespaces built for the run
// (test/fixtures/netns-gateway.ts; needs root). Nothing leaves the machine.
import { fileURLToPath } from 'node:url'
import { loadavg } from 'node:os'
import { gatewayUnavailable, startGatewayNet } from '../fixtures/netns-gateway.ts'
import { spawnTracked } from '../fixtures/processes.ts'
import { REPO_ROOT } from '../fixtures/tidepool-cli.ts'

const PROBE = fileURLToPath(new URL('../fixtures/portmap-probe.ts', import.meta.url))
const i = process.argv.indexOf('--repeat')
const repeat = i >= 0 ? Math.max(1, Math.min(20, Number(process.argv[i + 1]) || 3)) : 3
const why = gatewayUnavailable()
if (why) {
  console.error(`bench:portmap cannot run here: ${why}`)
  process.exit(2)
}
const net = await startGatewayNet()
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
try {
  console.log(
    `load average before: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  )
  console.log('| method | map TCP+UDP, ms (median, range) | delete both, ms (median, range) |\n|---|---|---|')
  for (const [m, method] of (['pcp', 'natpmp', 'upnp'] as const).entries()) {
    const maps: number[] = []
    const deletes: number[] = []
    for (let rep = 0; rep < repeat; rep++) {
      const port = 41000 + m * 100 + rep
      const p = spawnTracked(
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
        ],
        { cwd: REPO_ROOT, stdin: true, allowPortMapping: true, name: `probe ${method}` },
      )
      try {
        const mapped = (proto: string) =>
          p.waitFor(
            (l) => l.event === 'status' && l.state === 'mapped' && l.protocol === proto,
            20_000,
            `${method} ${proto}`,
          )
        const [tcp, udp] = await Promise.all([mapped('tcp'), mapped('udp')])
        maps.push(Math.max(Number(tcp.ms), Number(udp.ms)))
        p.write('quit\n')
        deletes.push(Number((await p.waitFor((l) => l.event === 'closed', 20_000, 'closed')).ms))
        if (net.natRules().length !== 0) throw new Error(`mappings left on the gateway: ${net.natRules().join('; ')}`)
        await p.waitExit(10_000)
      } finally {
        await p.stop()
      }
    }
    console.log(
      `| ${method} | ${median(maps)} (${Math.min(...maps)}-${Math.max(...maps)}) | ${median(deletes)} (${Math.min(...deletes)}-${Math.max(...deletes)}) |`,
    )
  }
  console.log(
    `load average after: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  )
} finally {
  await net.close()
}
