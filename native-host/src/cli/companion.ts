/**
 * `pnpm daemon --companion ...`: the daemon for another device (a phone, a home server). Binds a LAN
 * address, prints a pairing code and its QR code, and serves paired clients over the secure channel
 * only (docs/native-host.md "Companion", docs/daemon-protocol.md §12). First stdout line is JSON.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import qrcode from 'qrcode-terminal'
import { parseDaemonArgs } from '../daemon/cli-args.ts'
import { COMPANION_USAGE, DEFAULT_COMPANION_DOWNLOADS, parseCompanionArgs } from '../daemon/companion/companion-args.ts'
import { createCompanionGate } from '../daemon/companion/companion-gate.ts'
import {
  loadOrCreateCompanionState,
  readCompanionState,
  revokePairedClient,
} from '../daemon/companion/companion-state.ts'
import { formatCode, newPairingCode, PairingWindow } from '../daemon/companion/pairing-window.ts'
import { portMappingAllowed, startDaemon } from '../index.ts'
import { LAUNCH_LAYOUT } from '../launch-layout.ts'

/** The extension's pinned id (extension/EXTENSION_ID, or the copy in the helper package): it may connect too. */
function pinnedExtensionOrigin(): string[] {
  const f = LAUNCH_LAYOUT.extensionIdFile
  const id = existsSync(f) ? readFileSync(f, 'utf8').trim() : ''
  return /^[a-p]{32}$/.test(id) ? [`chrome-extension://${id}`] : []
}

export async function runCompanion(argv: string[]): Promise<void> {
  let args: ReturnType<typeof parseCompanionArgs>
  let daemonArgs: ReturnType<typeof parseDaemonArgs>
  try {
    args = parseCompanionArgs(argv)
    daemonArgs = parseDaemonArgs(args.rest, { tokenFileRequired: false })
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${COMPANION_USAGE}\n`)
    process.exit(2)
  }
  if (args.listPaired) {
    const s = readCompanionState(args.stateDir)
    for (const c of s?.clients ?? [])
      process.stdout.write(
        `${c.name}\tpaired ${new Date(c.pairedAt).toISOString()}\tkey ${c.publicKey.slice(0, 16)}…\n`,
      )
    if (!s?.clients.length) process.stderr.write('no paired clients\n')
    return
  }
  if (args.revoke !== undefined) {
    if (revokePairedClient(args.stateDir, args.revoke)) {
      process.stdout.write(`revoked ${args.revoke}\n`)
      return
    }
    process.stderr.write(`no paired client named ${args.revoke}\n`)
    process.exit(1)
  }
  const state = loadOrCreateCompanionState(args.stateDir, args.name)
  const pairing =
    args.pairingMinutes > 0 ? new PairingWindow(newPairingCode(), { ttlMs: args.pairingMinutes * 60_000 }) : null
  const gate = createCompanionGate({
    dir: args.stateDir,
    state,
    pairing,
    log: (line) => process.stderr.write(`${line}\n`),
  })
  const roots = Object.keys(daemonArgs.roots).length > 0 ? daemonArgs.roots : { downloads: DEFAULT_COMPANION_DOWNLOADS }
  // A fresh companion has no download folder yet: make it (only ours, like the state dir).
  for (const dir of Object.values(roots)) mkdirSync(dir, { recursive: true, mode: 0o700 })
  const d = await startDaemon({
    host: args.host,
    port: args.port,
    token: state.token,
    roots,
    allowOrigins: [...daemonArgs.allowOrigins, ...pinnedExtensionOrigin()],
    allowNoOrigin: daemonArgs.allowNoOrigin,
    limits: daemonArgs.limits,
    multicast: daemonArgs.multicast,
    portMapping: !daemonArgs.noPortMapping && portMappingAllowed(),
    companion: gate,
  })
  process.stdout.write(
    `${JSON.stringify({
      port: d.port,
      url: d.url,
      pid: process.pid,
      protocol: 1,
      companion: {
        name: state.name,
        publicKey: state.publicKey,
        pairingCode: pairing ? formatCode(pairing.code) : null,
        pairingExpiresAt: pairing?.expiresAt ?? null,
        paired: state.clients.map((c) => c.name),
      },
      roots: Object.keys(roots),
    })}\n`,
  )
  if (pairing) {
    const mins = args.pairingMinutes
    process.stderr.write(
      `Companion "${state.name}" listening on ${d.url}\n` +
        `Pairing code (valid ${mins} min, one client): ${formatCode(pairing.code)}\n` +
        'In Tidepool: Settings → Companion → enter this address and code, or scan:\n',
    )
    qrcode.generate(`tidepool-companion:${d.url}#${pairing.code}`, { small: true }, (qr) =>
      process.stderr.write(`${qr}\n`),
    )
  } else process.stderr.write(`Companion "${state.name}" listening on ${d.url} (pairing closed)\n`)
  const stop = (): void => {
    void d.close().finally(() => process.exit(0))
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}
