import { IoError, type PublishedStream, type StreamFile, type StreamHandler, type StreamPort } from '@tidepool/engine'
import type { BridgeClient } from './bridge-client.ts'
import { Capability, Ev, Op } from './protocol.ts'

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0
}

/**
 * The engine's StreamPort over the daemon (capability `stream-http`, docs/daemon-protocol.md §4.6):
 * the daemon serves the file over HTTP and asks, per byte range, whether it may read it yet
 * (EVENT stream.need); we answer with op stream.ready once the engine has the bytes on disk.
 */
export class BridgeStreams implements StreamPort {
  constructor(private readonly c: BridgeClient) {}

  get available(): boolean {
    return this.c.capabilities.has(Capability.streamHttp)
  }

  async publish(file: StreamFile, handler: StreamHandler): Promise<PublishedStream> {
    if (!this.available)
      throw new IoError('unsupported', 'this daemon cannot serve streams (no stream-http capability)')
    const c = this.c
    const r = await c.request(Op.streamPublish, {
      root: file.root,
      path: file.path,
      length: file.length,
      name: file.name,
    })
    const handle = num(r.meta.handle)
    let open = true
    c.register(handle, {
      onWireData() {},
      onWireEvent(ev, meta) {
        if (!open) return
        if (ev === Ev.streamNeed) {
          const req = num(meta.req)
          handler.need(num(meta.offset), num(meta.length), req).then(
            () => {
              if (open) c.fireAndForget(Op.streamReady, { handle, req })
            },
            (err: unknown) => {
              if (open) c.fireAndForget(Op.streamReady, { handle, req, error: String((err as Error)?.message ?? err) })
            },
          )
        } else if (ev === Ev.streamGone) handler.gone?.(num(meta.req))
      },
      onBridgeClosed() {
        open = false
      },
    })
    return {
      url: typeof r.meta.url === 'string' ? r.meta.url : '',
      close: () => {
        if (!open) return
        open = false
        c.forget(handle)
        c.fireAndForget(Op.streamUnpublish, { handle })
      },
    }
  }
}
