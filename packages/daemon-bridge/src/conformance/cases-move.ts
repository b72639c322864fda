import { check, rejectsWith, within, type ConformanceCase } from './harness.ts'
import { Capability, Op } from '../protocol.ts'

const enc = new TextEncoder()
const dec = new TextDecoder()

/**
 * Moves and granted roots (§4.6). A daemon under test has one root (`conformance`), so moves run
 * between two folders of it; the hostile cases name targets and sources outside every root.
 */
export const moveCases: ConformanceCase[] = [
  {
    id: 'MOVE-001',
    title: 'without fs-move / root-grants, ops 46-49 answer ERROR and the connection stays',
    async run(ctx) {
      const c = await ctx.client()
      const ops = [
        ...(c.capabilities.has(Capability.rootGrants) ? [] : [Op.rootsList, Op.rootsRevoke]),
        ...(c.capabilities.has(Capability.fsMove) ? [] : [Op.fsMove, Op.fsMoveCancel]),
      ]
      for (const op of ops) {
        let code: string | undefined
        await within(c.request(op, { handle: 1 }), 2000, `op ${op}`).then(
          () => undefined,
          (e: { code?: string }) => (code = e.code),
        )
        check(code === 'invalid' || code === 'unsupported', `op ${op}: expected invalid or unsupported, got ${code}`)
      }
      await within(c.request(Op.ping, {}), 2000, 'ping after ops 46-49')
    },
  },
  {
    id: 'MOVE-002',
    title: 'fs.move moves a directory tree; events progress then done; the source is gone',
    async run(ctx) {
      const c = await ctx.client()
      const move = c.files.move
      if (!move) return
      const from = `${ctx.dir}/move-src`
      await c.files.mkdir(ctx.root, `${from}/sub`)
      const h = await c.files.open(ctx.root, `${from}/sub/a.txt`, { create: true })
      await h.write(0, enc.encode('moved bytes'))
      await h.close()
      let last = -1
      await within(
        move(ctx.root, from, ctx.root, `${ctx.dir}/elsewhere/moved`, (d) => (last = d)),
        10_000,
        'fs.move',
      )
      check((await c.files.stat(ctx.root, from)) === null, 'source still there')
      const back = await c.files.open(ctx.root, `${ctx.dir}/elsewhere/moved/sub/a.txt`)
      check(dec.decode(await back.read(0, 100)) === 'moved bytes', 'moved content differs')
      await back.close()
      check(last >= 0, 'no move-progress event came before move-done (one is sent at the end)')
    },
  },
  {
    id: 'MOVE-003',
    title: 'hostile moves: target outside the root, source outside the root, unknown roots, the root itself',
    async run(ctx) {
      const c = await ctx.client()
      if (!c.capabilities.has(Capability.fsMove)) return
      const file = `${ctx.dir}/m3.txt`
      await c.files.mkdir(ctx.root, ctx.dir)
      await (await c.files.open(ctx.root, file, { create: true })).close()
      const req = (meta: object) => c.request(Op.fsMove, meta)
      await rejectsWith(
        req({ fromRoot: ctx.root, from: file, toRoot: ctx.root, to: '../out.txt' }),
        'bad-path',
        'to ..',
      )
      await rejectsWith(
        req({ fromRoot: ctx.root, from: file, toRoot: ctx.root, to: '/tmp/out.txt' }),
        'bad-path',
        'to /',
      )
      await rejectsWith(
        req({ fromRoot: ctx.root, from: '../../etc/passwd', toRoot: ctx.root, to: `${ctx.dir}/p` }),
        'bad-path',
        'from ..',
      )
      await rejectsWith(
        req({ fromRoot: ctx.root, from: '/etc/passwd', toRoot: ctx.root, to: `${ctx.dir}/p` }),
        'bad-path',
        'from /',
      )
      await rejectsWith(
        req({ fromRoot: 'no-such-root-xyz', from: 'a', toRoot: ctx.root, to: `${ctx.dir}/p` }),
        'bad-path',
        'unknown source root',
      )
      await rejectsWith(
        req({ fromRoot: ctx.root, from: file, toRoot: 'no-such-root-xyz', to: 'p' }),
        'bad-path',
        'unknown target root',
      )
      await rejectsWith(
        req({ fromRoot: ctx.root, from: '', toRoot: ctx.root, to: `${ctx.dir}/all` }),
        'bad-path',
        'the root',
      )
      await rejectsWith(req({ fromRoot: ctx.root, from: file, toRoot: ctx.root, to: file }), 'invalid', 'onto itself')
      check((await c.files.stat(ctx.root, file)) !== null, 'the source moved after all')
      await rejectsWith(c.request(Op.fsMoveCancel, { handle: 0x7ffffff0 }), 'closed', 'cancel of an unknown move')
    },
  },
  {
    id: 'MOVE-004',
    title: 'roots.revoke of an unknown root is refused; roots.list answers the roots of the hello',
    async run(ctx) {
      const c = await ctx.client()
      if (!c.capabilities.has(Capability.rootGrants)) return
      await rejectsWith(c.request(Op.rootsRevoke, { root: 'no-such-root-xyz' }), 'bad-path', 'revoke unknown')
      const r = await c.request(Op.rootsList, {})
      const roots = r.meta.roots as string[]
      check(Array.isArray(roots) && roots.includes(ctx.root), `roots.list: ${JSON.stringify(roots)}`)
    },
  },
]
