/**
 * The Files tab as a tree: folders from the files' paths, each with the total size and progress of what
 * it holds and a checkbox that is on, off or mixed. Only expanded folders' children are listed, so a
 * 10,000-file torrent shows a handful of rows until opened. Pure: rebuilt from the rows on each update.
 */
import type { FilePriority, FileRow } from '@tidepool/engine'

export interface TreeRow {
  /** 'd:' + folder path, or 'f:' + file index. */
  key: string
  depth: number
  name: string
  folder: boolean
  expanded: boolean
  size: number
  downloaded: number
  progress: number
  /** A file's priority; a folder's when all its files agree, else 'mixed'. */
  priority: FilePriority | 'mixed'
  /** Every file index under this row (itself for a file). */
  files: number[]
  /** Whether its files are downloaded: the checkbox (on, off, or mixed for a folder). */
  wanted: 'all' | 'none' | 'some'
}

interface Folder {
  name: string
  path: string
  folders: Map<string, Folder>
  files: FileRow[]
}

function build(files: readonly FileRow[]): Folder {
  const root: Folder = { name: '', path: '', folders: new Map(), files: [] }
  for (const f of files) {
    const parts = f.path.split('/')
    let at = root
    for (const part of parts.slice(0, -1)) {
      let next = at.folders.get(part)
      if (!next) {
        next = { name: part, path: at.path ? `${at.path}/${part}` : part, folders: new Map(), files: [] }
        at.folders.set(part, next)
      }
      at = next
    }
    at.files.push(f)
  }
  return root
}

/** The visible rows: folders first (by name), then files (by name); collapsed folders hide their children. */
export function treeRows(files: readonly FileRow[], expanded: ReadonlySet<string>): TreeRow[] {
  const out: TreeRow[] = []
  const walk = (
    dir: Folder,
    depth: number,
    show: boolean,
  ): { size: number; downloaded: number; files: number[]; prios: Set<FilePriority> } => {
    const acc = { size: 0, downloaded: 0, files: [] as number[], prios: new Set<FilePriority>() }
    for (const sub of [...dir.folders.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      const key = `d:${sub.path}`
      const open = expanded.has(key)
      const at = out.length
      if (show)
        out.push({
          key,
          depth,
          name: sub.name,
          folder: true,
          expanded: open,
          size: 0,
          downloaded: 0,
          progress: 0,
          priority: 'normal',
          files: [],
          wanted: 'all',
        })
      const r = walk(sub, depth + 1, show && open)
      if (show) {
        const row = out[at]!
        row.size = r.size
        row.downloaded = r.downloaded
        row.progress = r.size > 0 ? r.downloaded / r.size : 1
        row.priority = r.prios.size === 1 ? [...r.prios][0]! : 'mixed'
        row.files = r.files
        row.wanted = !r.prios.has('skip') ? 'all' : r.prios.size === 1 ? 'none' : 'some'
      }
      acc.size += r.size
      acc.downloaded += r.downloaded
      // a loop, not push(...): spreading 100k+ indices overflows the call stack
      for (const i of r.files) acc.files.push(i)
      for (const p of r.prios) acc.prios.add(p)
    }
    for (const f of [...dir.files].sort((a, b) => a.path.localeCompare(b.path))) {
      if (show)
        out.push({
          key: `f:${f.index}`,
          depth,
          name: f.path.split('/').pop()!,
          folder: false,
          expanded: false,
          size: f.size,
          downloaded: f.downloaded,
          progress: f.progress,
          priority: f.priority,
          files: [f.index],
          wanted: f.priority === 'skip' ? 'none' : 'all',
        })
      acc.size += f.size
      acc.downloaded += f.downloaded
      acc.files.push(f.index)
      acc.prios.add(f.priority)
    }
    return acc
  }
  walk(build(files), 0, true)
  return out
}

/** Folders to open at first: a torrent's single top folder (most torrents have one). */
export function initialExpanded(files: readonly FileRow[]): Set<string> {
  const tops = new Set(files.map((f) => (f.path.includes('/') ? f.path.split('/')[0]! : '')))
  return tops.size === 1 && !tops.has('') ? new Set([`d:${[...tops][0]}`]) : new Set()
}

/** Every folder's key: "Open all folders" in a large torrent, without clicking each one. */
export function allFolders(files: readonly FileRow[]): Set<string> {
  const out = new Set<string>()
  for (const f of files) {
    let end = f.path.indexOf('/')
    while (end > 0) {
      out.add(`d:${f.path.slice(0, end)}`)
      end = f.path.indexOf('/', end + 1)
    }
  }
  return out
}
