import { type ConnectionOptions, UtpConnection } from './connection.ts'
import { type Packet, PacketType, decodePacket, encodePacket } from './packet.ts'

/** Where the multiplexer's datagrams go: one UDP socket. */
export interface DatagramOut {
  send(datagram: Uint8Array, address: string, port: number): void
}

export interface MuxOptions extends ConnectionOptions {
  nowMs(): number
  /** A random 16-bit number (connection ids, first sequence numbers). */
  random16?(): number
  /**
   * A peer's SYN. Absent: nobody listens (SYNs are answered with RESET). Return false to refuse; the
   * callback sets the connection's events before returning.
   */
  onAccept?(conn: UtpConnection, address: string, port: number): boolean
}

function defaultRandom16(): number {
  return crypto.getRandomValues(new Uint16Array(1))[0]
}

/**
 * The uTP connections of one UDP socket, keyed by (address, port, the connection id the peer sends us).
 * Feed it every datagram (`receive`), call `flushAcks` after each batch of datagrams (one STATE per
 * connection that got data, not one per packet) and `tick` every few tens of milliseconds.
 */
export class UtpMux {
  private readonly conns = new Map<string, UtpConnection>()
  private readonly ackDue = new Set<UtpConnection>()
  private readonly random16: () => number
  private readonly startUs: number

  constructor(
    private readonly out: DatagramOut,
    private readonly o: MuxOptions,
  ) {
    this.random16 = o.random16 ?? defaultRandom16
    this.startUs = this.random16() * 65536
  }

  get size(): number {
    return this.conns.size
  }

  private key(address: string, port: number, id: number): string {
    return `${address}|${port}|${id}`
  }

  private io(address: string, port: number) {
    const o = this.o
    return {
      nowMs: () => o.nowMs(),
      nowUs: () => (this.startUs + Math.floor(o.nowMs() * 1000)) >>> 0,
      send: (d: Uint8Array) => this.out.send(d, address, port),
    }
  }

  private add(conn: UtpConnection, address: string, port: number): void {
    const k = this.key(address, port, conn.recvId)
    this.conns.set(k, conn)
    conn.onFinish = () => {
      if (this.conns.get(k) === conn) this.conns.delete(k)
      this.ackDue.delete(conn)
    }
  }

  /** Opens a connection: the SYN goes out now; wait for its onConnect or onClose. */
  connect(address: string, port: number): UtpConnection {
    let id = this.random16()
    for (let i = 0; i < 16 && this.conns.has(this.key(address, port, id)); i++) id = this.random16()
    const conn = UtpConnection.connect(this.io(address, port), id, this.random16(), this.o)
    this.add(conn, address, port)
    return conn
  }

  /** One datagram. False when it is not uTP (the socket may have other users, such as a DHT). */
  receive(datagram: Uint8Array, address: string, port: number): boolean {
    const p = decodePacket(datagram)
    if (!p) return false
    if (p.type === PacketType.syn) {
      this.onSyn(p, address, port)
      return true
    }
    // a RESET carries the id the peer received from us (our send id), which is one off our receive id
    const conn =
      this.lookup(address, port, p.connectionId) ??
      (p.type === PacketType.reset ? this.resetTarget(p.connectionId, address, port) : undefined)
    if (!conn) {
      if (p.type !== PacketType.reset) this.reset(p, address, port)
      return true
    }
    conn.receive(p)
    if (conn.ackPending && conn.state !== 'closed') this.ackDue.add(conn)
    return true
  }

  /** The last hit is kept: a stream of datagrams comes from one connection at a time. */
  private last: { address: string; port: number; id: number; conn: UtpConnection } | undefined

  private lookup(address: string, port: number, id: number): UtpConnection | undefined {
    const l = this.last
    if (l && l.id === id && l.port === port && l.address === address && !l.conn.closed) return l.conn
    const conn = this.conns.get(this.key(address, port, id))
    this.last = conn ? { address, port, id, conn } : undefined
    return conn
  }

  private resetTarget(id: number, address: string, port: number): UtpConnection | undefined {
    for (const recv of [(id + 1) & 0xffff, (id - 1) & 0xffff]) {
      const c = this.conns.get(this.key(address, port, recv))
      if (c && c.sendId === id) return c
    }
    return undefined
  }

  private onSyn(p: Packet, address: string, port: number): void {
    const existing = this.conns.get(this.key(address, port, (p.connectionId + 1) & 0xffff))
    if (existing) {
      existing.receive(p) // a repeated SYN: answered again
      return
    }
    if (!this.o.onAccept) return this.reset(p, address, port)
    const conn = UtpConnection.accept(this.io(address, port), p, this.random16(), this.o)
    this.add(conn, address, port)
    if (!this.o.onAccept(conn, address, port)) conn.close()
  }

  private reset(p: Packet, address: string, port: number): void {
    this.out.send(
      encodePacket({
        type: PacketType.reset,
        connectionId: p.connectionId,
        timestampUs: 0,
        timestampDiffUs: 0,
        wndSize: 0,
        seqNr: 0,
        ackNr: p.seqNr,
        payload: new Uint8Array(0),
      }),
      address,
      port,
    )
  }

  flushAcks(): void {
    for (const c of this.ackDue) if (c.ackPending) c.sendState()
    this.ackDue.clear()
  }

  tick(): void {
    for (const c of [...this.conns.values()]) c.tick()
  }

  /** Closes every connection (RESET to each peer); no events follow. */
  closeAll(): void {
    for (const c of [...this.conns.values()]) c.close()
  }
}
