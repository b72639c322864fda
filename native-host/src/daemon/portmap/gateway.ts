import dgram from 'node:dgram'
import { readFile } from 'node:fs/promises'

/**
 * The IPv4 default gateway from the kernel's routing table (/proc/net/route, Linux): the default
 * route with the lowest metric. undefined where there is none or the table cannot be read.
 */
export function parseProcNetRoute(text: string): { iface: string; gateway: string } | undefined {
  let best: { iface: string; gateway: string; metric: number } | undefined
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/)
    if (f.length < 8 || f[1] !== '00000000') continue
    const flags = parseInt(f[3], 16)
    if (!(flags & 0x1) || !(flags & 0x2)) continue // RTF_UP and RTF_GATEWAY
    const g = parseInt(f[2], 16)
    // The kernel prints the address in host (little-endian) order.
    const gateway = `${g & 0xff}.${(g >>> 8) & 0xff}.${(g >>> 16) & 0xff}.${g >>> 24}`
    const metric = Number(f[6])
    if (!best || metric < best.metric) best = { iface: f[0], gateway, metric }
  }
  return best && { iface: best.iface, gateway: best.gateway }
}

export async function defaultGateway(): Promise<string | undefined> {
  try {
    return parseProcNetRoute(await readFile('/proc/net/route', 'utf8'))?.gateway
  } catch {
    return undefined // not Linux, or no /proc: the caller reports "no gateway"
  }
}

/**
 * Our address on the link towards `gateway`: connecting a UDP socket sends nothing, it only asks the
 * kernel which source address it would use.
 */
export async function localAddressTowards(gateway: string): Promise<string> {
  const s = dgram.createSocket('udp4')
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject)
      s.connect(9, gateway, () => resolve())
    })
    return s.address().address
  } finally {
    s.close()
  }
}
