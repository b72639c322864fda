import { IoError } from '@tidepool/engine'

interface Waiter {
  state: 'waiting' | 'granted' | 'cancelled'
  grant: (release: () => void) => void
}

export interface GateTicket {
  /** Resolves with a release function once a slot is held; rejects at once with busy. */
  granted: Promise<() => void>
  /** Leave the queue if still waiting (the promise then never settles). No-op once granted. */
  cancel(): void
}

/**
 * The connect semaphore: `maxInFlight` connects in progress, `maxPending` in progress plus waiting.
 * Beyond that a connect fails at once with busy. One gate per daemon, shared by all clients.
 */
export class ConnectGate {
  inFlight = 0
  waiting = 0
  busyCount = 0
  private readonly queue: Waiter[] = []

  constructor(
    private readonly maxInFlight: number,
    private readonly maxPending: number,
  ) {}

  acquire(): GateTicket {
    if (this.inFlight + this.waiting >= this.maxPending) {
      this.busyCount++
      return {
        granted: Promise.reject(new IoError('busy', `${this.maxPending} connects already pending`)),
        cancel() {},
      }
    }
    if (this.inFlight < this.maxInFlight) {
      this.inFlight++
      return { granted: Promise.resolve(this.releaser()), cancel() {} }
    }
    this.waiting++
    const w: Waiter = { state: 'waiting', grant: () => {} }
    const granted = new Promise<() => void>((resolve) => {
      w.grant = resolve
    })
    this.queue.push(w)
    return {
      granted,
      cancel: () => {
        if (w.state !== 'waiting') return
        w.state = 'cancelled'
        this.waiting--
        const i = this.queue.indexOf(w)
        if (i >= 0) this.queue.splice(i, 1)
      },
    }
  }

  private releaser(): () => void {
    let done = false
    return () => {
      if (done) return
      done = true
      this.inFlight--
      this.pump()
    }
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const w = this.queue.shift()!
      w.state = 'granted'
      this.waiting--
      this.inFlight++
      w.grant(this.releaser())
    }
  }
}
