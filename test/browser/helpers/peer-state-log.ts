// Watches the Peers tab in the page: a MutationObserver stamps every state cell ("Connecting…" /
// "Connected") it sees with its row's address, whether the row is dimmed, the text of its cells after
// State/Address/Client, and the time, so a test can check the order and the look afterwards.
import type { Page } from 'playwright-core'

export interface StateSighting {
  t: number
  state: string
  addr: string
  dimmed: boolean
  others: string
}

/** Call before the page loads (addInitScript) so nothing is missed. */
export async function installPeerStateLog(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as {
      __tpPeerLog: { t: number; state: string; addr: string; dimmed: boolean; others: string }[]
    }
    w.__tpPeerLog = []
    const last = new Map<Element, string>()
    const scan = () => {
      for (const cell of document.querySelectorAll('.pstate')) {
        const state = cell.textContent ?? ''
        const row = cell.closest('[role="row"]') ?? cell.parentElement?.parentElement
        const addr = row?.querySelector('.mono')?.textContent ?? ''
        const key = `${state}|${addr}`
        if (last.get(cell) === key) continue
        last.set(cell, key)
        const dimmed = row?.classList.contains('row-connecting') ?? false
        const others = row
          ? [...row.querySelectorAll('[role="gridcell"]')]
              .slice(3)
              .map((c) => c.textContent ?? '')
              .join('')
          : ''
        if (w.__tpPeerLog.length < 10_000) w.__tpPeerLog.push({ t: performance.now(), state, addr, dimmed, others })
      }
    }
    const start = () =>
      new MutationObserver(scan).observe(document.documentElement, {
        subtree: true,
        childList: true,
        characterData: true,
        attributes: true,
      })
    if (document.documentElement) start()
    else document.addEventListener('DOMContentLoaded', start)
  })
}

export async function readPeerStateLog(page: Page): Promise<StateSighting[]> {
  return page.evaluate(() => (window as unknown as { __tpPeerLog?: StateSighting[] }).__tpPeerLog ?? [])
}

/**
 * First time any row read `Connecting…` and first time any row read `Connected`; sameRow: some peer's
 * row read `Connecting…` and later `Connected` (not necessarily the first peer tried: another address,
 * such as one that fails or turns out to be ourselves, may be shown connecting first).
 */
export function firstSightings(log: StateSighting[]): {
  connecting: number | null
  connected: number | null
  sameRow: boolean
} {
  const first = (s: string) => log.find((l) => l.state.startsWith(s))
  const c1 = first('Connecting')
  const c2 = first('Connected')
  const sameRow = log.some(
    (a) =>
      a.state.startsWith('Connecting') &&
      a.addr !== '' &&
      log.some((b) => b.addr === a.addr && b.state === 'Connected' && b.t > a.t),
  )
  return { connecting: c1?.t ?? null, connected: c2?.t ?? null, sameRow }
}

/** Connecting rows are dimmed and show address and client only; connected rows are not dimmed. */
export function lookProblems(log: StateSighting[]): StateSighting[] {
  return log.filter((l) =>
    l.addr === ''
      ? false
      : l.state.startsWith('Connecting')
        ? !l.dimmed || l.others !== ''
        : l.state === 'Connected'
          ? l.dimmed
          : false,
  )
}
