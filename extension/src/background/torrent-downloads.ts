/**
 * Taking over .torrent downloads (chrome.downloads): a download that is a .torrent file is paused,
 * handed to the engine (the offscreen document fetches it and adds it), then cancelled and erased
 * from the list when the engine has it; otherwise (turned off in Settings, the site's file cannot be
 * read without access to it, not a torrent after all) it resumes as an ordinary download.
 */

export interface DownloadLike {
  id: number
  url: string
  finalUrl?: string
  mime?: string
  filename?: string
}

/** A .torrent by its type (BEP 3's application/x-bittorrent) or by the name its URL or file has. */
export function isTorrentDownload(d: Omit<DownloadLike, 'id'>): boolean {
  if (/^application\/x-bittorrent\b/i.test(d.mime ?? '')) return true
  const url = d.finalUrl || d.url
  if (!/^https?:\/\//i.test(url)) return false // data:, blob:, file: are not ours to fetch again
  let path = ''
  try {
    path = new URL(url).pathname
  } catch {
    return false
  }
  return /\.torrent$/i.test(path) || /\.torrent$/i.test(d.filename ?? '')
}

export interface TakeOverPort {
  pause(id: number): Promise<void>
  resume(id: number): Promise<void>
  cancelAndErase(id: number): Promise<void>
  /** The engine's answer: taken (with what to tell the user), or not (the download goes on). */
  offer(url: string): Promise<{ taken: boolean; text?: string }>
  notify(text: string): void
}

export async function takeOver(d: DownloadLike, port: TakeOverPort): Promise<boolean> {
  if (!isTorrentDownload(d)) return false
  await port.pause(d.id).catch(() => undefined) // it may have finished already (a small file)
  const r = await port.offer(d.finalUrl || d.url).catch(() => ({ taken: false }) as { taken: boolean; text?: string })
  if (!r.taken) {
    await port.resume(d.id).catch(() => undefined)
    if (r.text) port.notify(r.text)
    return false
  }
  await port.cancelAndErase(d.id).catch(() => undefined)
  if (r.text) port.notify(r.text)
  return true
}
