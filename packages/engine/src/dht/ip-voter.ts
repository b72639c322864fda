/**
 * Our external address as a vote (BEP 42): every node that answers names the address it sees us at
 * (the reply's `ip`). An address is believed once `minVoters` distinct nodes (counted by their IP, so
 * one host answering from many ports is one voter) name it, and it replaces the believed one only when
 * more voters name it than name the believed one. One lying or confused node, or a NAT that rebinds
 * once, cannot change the address our next node id is derived from.
 */
export class IpVoter {
  /** voter IP → the address it named last; Map order is age (oldest first). */
  private readonly votes = new Map<string, string>()
  private readonly tally = new Map<string, number>()
  private believed?: string

  constructor(
    private readonly minVoters = 3,
    /** Voters remembered; the oldest vote is forgotten beyond this (bounded memory). */
    private readonly maxVoters = 256,
    /** The address believed before any vote (e.g. the one saved by the previous run). */
    initial?: string,
  ) {
    this.believed = initial
  }

  /** The address we believe others see us at, if any. */
  get address(): string | undefined {
    return this.believed
  }

  /** Distinct voters currently naming `address`. */
  votesFor(address: string): number {
    return this.tally.get(address) ?? 0
  }

  /** Records that `voter` sees us at `address`; true when the believed address changed. */
  vote(voter: string, address: string): boolean {
    const prev = this.votes.get(voter)
    if (prev !== undefined) {
      this.votes.delete(voter)
      this.count(prev, -1)
    }
    this.votes.set(voter, address)
    this.count(address, 1)
    if (this.votes.size > this.maxVoters) {
      const [oldest, named] = this.votes.entries().next().value as [string, string]
      this.votes.delete(oldest)
      this.count(named, -1)
    }
    const n = this.votesFor(address)
    if (address === this.believed || n < this.minVoters) return false
    if (this.believed !== undefined && n <= this.votesFor(this.believed)) return false
    this.believed = address
    return true
  }

  private count(address: string, delta: number): void {
    const n = (this.tally.get(address) ?? 0) + delta
    if (n > 0) this.tally.set(address, n)
    else this.tally.delete(address)
  }
}
