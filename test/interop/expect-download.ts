// Shared assertions for interop tests: the CLI exited 0, reported the torrent done, and the files on
// disk equal the source byte for byte.
import { join } from 'node:path'
import { expect } from 'vitest'
import { diffTrees } from '../fixtures/compare-trees.ts'
import type { MadeTorrent } from '../fixtures/make-torrent.ts'
import type { TidepoolRun } from '../fixtures/tidepool-cli.ts'

export async function expectExit0(run: TidepoolRun, timeoutMs: number): Promise<void> {
  const code = await run.wait(timeoutMs)
  expect(code, run.describe()).toBe(0)
}

export async function expectSameContent(t: MadeTorrent, outDir: string, context = ''): Promise<void> {
  const diffs = await diffTrees(t.contentPath, join(outDir, t.name))
  expect(diffs, `content of ${t.name} ${context}`).toEqual([])
}

export function expectDoneLine(run: TidepoolRun, t: MadeTorrent): Record<string, unknown> {
  const final = run.final(t.infoHash)
  expect(final, `no done:true line for ${t.infoHash}\n${run.describe()}`).toBeDefined()
  expect(final!.progress).toBe(1)
  return final!
}

/** The CLI's statuses must come at least once a second while it runs (the CLI's contract). */
export function expectRegularStatus(run: TidepoolRun, t: MadeTorrent): void {
  const lines = run.statuses(t.infoHash)
  expect(lines.length).toBeGreaterThan(0)
  for (const key of ['infoHash', 'progress', 'downloadRate', 'connected', 'connecting']) {
    expect(lines[0], `status line lacks ${key}`).toHaveProperty(key)
  }
}
