// A loopback TCP proxy that holds every connection for `delayMs` before piping it to the real peer,
// so the BitTorrent handshake — and with it the "Connecting…" → "Connected" step — takes visible time.
import net from 'node:net'

export interface DelayProxy {
  port: number
  /** connections accepted so far */
  accepted(): number
  close(): Promise<void>
}

export async function startDelayProxy(target: { host: string; port: number }, delayMs: number): Promise<DelayProxy> {
  const sockets = new Set<net.Socket>()
  const timers = new Set<ReturnType<typeof setTimeout>>()
  let accepted = 0
  const server = net.createServer({ pauseOnConnect: true }, (client) => {
    accepted++
    sockets.add(client)
    client.on('error', () => {})
    client.on('close', () => sockets.delete(client))
    const t = setTimeout(() => {
      timers.delete(t)
      if (client.destroyed) return
      const up = net.connect(target)
      sockets.add(up)
      up.on('error', () => client.destroy())
      up.on('close', () => {
        sockets.delete(up)
        client.destroy()
      })
      client.on('close', () => up.destroy())
      up.once('connect', () => {
        client.pipe(up)
        up.pipe(client)
        client.resume()
      })
    }, delayMs)
    timers.add(t)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((r) => {
        for (const t of timers) clearTimeout(t)
        for (const s of sockets) s.destroy()
        server.close(() => r())
      }),
  }
}

/** Registers 127.0.0.1:port as a complete peer of infoHash at an HTTP tracker (as a seed would). */
export async function announcePeer(trackerUrl: string, infoHashHex: string, port: number): Promise<void> {
  const pct = (hex: string) => hex.replace(/../g, '%$&')
  const peerId = Buffer.from(`-XX0001-${'proxy'.padEnd(12, '0')}`).toString('hex')
  const url = `${trackerUrl}?info_hash=${pct(infoHashHex)}&peer_id=${pct(peerId)}&port=${port}&uploaded=0&downloaded=0&left=0&event=started&compact=1`
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) })
  const body = Buffer.from(await res.arrayBuffer()).toString('latin1')
  if (!res.ok || body.includes('failure reason')) throw new Error(`announce failed: ${res.status} ${body}`)
}
