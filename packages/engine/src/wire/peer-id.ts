/**
 * Peer ids: ours in Azureus style (`-TP0100-` + 12 random printable bytes) and a decoder that names
 * the client behind a peer id for the UI ("libtorrent 2.0.8").
 */

export const CLIENT_CODE = 'TP'
export const CLIENT_VERSION = '0100' // two digits major, two digits minor: 1.0

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'

/** A fresh 20-byte peer id: `-TP0100-` then 12 random alphanumerics. */
export function generatePeerId(prefix = `-${CLIENT_CODE}${CLIENT_VERSION}-`): Uint8Array {
  const id = new Uint8Array(20)
  for (let i = 0; i < prefix.length && i < 20; i++) id[i] = prefix.charCodeAt(i) & 0xff
  const rnd = new Uint8Array(20)
  crypto.getRandomValues(rnd)
  for (let i = prefix.length; i < 20; i++) id[i] = ALPHABET.charCodeAt(rnd[i]! % ALPHABET.length)
  return id
}

const AZUREUS: Record<string, string> = {
  AG: 'Ares',
  AZ: 'Vuze',
  BB: 'BitBuddy',
  BC: 'BitComet',
  BE: 'BitTorrent SDK',
  BF: 'Bitflu',
  BI: 'BiglyBT',
  BT: 'BitTorrent',
  BW: 'BitWombat',
  DE: 'Deluge',
  FD: 'Free Download Manager',
  FW: 'FrostWire',
  HL: 'Halite',
  KT: 'KTorrent',
  LT: 'libtorrent',
  lt: 'rTorrent',
  LW: 'LimeWire',
  PI: 'PicoTorrent',
  qB: 'qBittorrent',
  QD: 'QQDownload',
  SD: 'Thunder',
  TL: 'Tribler',
  TP: 'Tidepool',
  TR: 'Transmission',
  TT: 'TuoTu',
  UM: 'µTorrent Mac',
  UT: 'µTorrent',
  WD: 'WebTorrent Desktop',
  WW: 'WebTorrent',
  XL: 'Xunlei',
  XX: 'Xtorrent',
  ZT: 'ZipTorrent',
}

const SHADOW: Record<string, string> = {
  A: 'ABC',
  O: 'Osprey Permaseed',
  Q: 'BTQueue',
  R: 'Tribler',
  S: 'Shadow',
  T: 'BitTornado',
  U: 'UPnP NAT Bit Torrent',
}

function ascii(id: Uint8Array, from: number, to: number): string {
  let s = ''
  for (let i = from; i < to && i < id.length; i++) s += String.fromCharCode(id[i]!)
  return s
}

/** One version character: 0-9, then A-Z = 10-35, a-z = 36-61 (libtorrent, Deluge and Shadow style). */
function digit(c: string): number {
  const code = c.charCodeAt(0)
  if (code >= 48 && code <= 57) return code - 48
  if (code >= 65 && code <= 90) return code - 55
  if (code >= 97 && code <= 122) return code - 61
  return -1
}

function azureusVersion(code: string, v: string): string {
  switch (code) {
    case 'WW':
    case 'WD':
    case 'TP': // two-digit fields: 0208 -> 2.8
      return `${Number.parseInt(v.slice(0, 2), 10)}.${Number.parseInt(v.slice(2, 4), 10)}`
    case 'TR': {
      // Before 4.0: "a.bc" (3.00 is -TR300Z-); from 4.0: a.b.c
      const d = [...v].map(digit)
      if (d[0]! >= 4) return `${d[0]}.${d[1]}.${d[2]}`
      return `${d[0]}.${v[1]}${v[2]}`
    }
    case 'UT':
    case 'UM':
      return [...v.slice(0, 3)].map(digit).join('.')
    default: {
      const d = [...v].map(digit)
      const parts = d[3]! > 0 && code !== 'LT' ? d : d.slice(0, 3)
      return parts.join('.')
    }
  }
}

/** The client name and version behind a peer id, e.g. "libtorrent 2.0.8"; "Unknown (…)" otherwise. */
export function decodeClient(peerId: Uint8Array): string {
  if (peerId.length !== 20) return 'Unknown'
  const head = ascii(peerId, 0, 8)
  // Azureus style: -XXvvvv-
  if (head[0] === '-' && head[7] === '-') {
    const code = head.slice(1, 3)
    const v = head.slice(3, 7)
    const name = AZUREUS[code]
    if (name && [...v].every((c) => digit(c) >= 0)) return `${name} ${azureusVersion(code, v)}`
  }
  // Mainline style: M7-2-2-- ; aria2: A2-1-36-0-
  const head12 = ascii(peerId, 0, 12)
  const aria = /^A2-(\d+)-(\d+)-(\d+)-/.exec(head12)
  if (aria) return `aria2 ${aria[1]}.${aria[2]}.${aria[3]}`
  const mainline = /^([MQ])(\d+)-(\d+)-(\d*)-/.exec(head12)
  if (mainline) {
    return `${mainline[1] === 'M' ? 'Mainline' : 'Queen Bee'} ${mainline[2]}.${mainline[3]}.${mainline[4] || '0'}`
  }
  // Shadow style: a letter, up to five version characters, then dashes
  const shadow = SHADOW[head[0]!]
  if (shadow) {
    const m = /^[A-Z]([0-9A-Za-z.]{1,5})-/.exec(ascii(peerId, 0, 9))
    if (m) {
      const d = [...m[1]!].filter((c) => c !== '.').map(digit)
      return `${shadow} ${d.slice(0, 3).join('.')}`
    }
  }
  if (head.startsWith('exbc')) return 'BitComet'
  const printable = ascii(peerId, 0, 8).replace(/[^\x20-\x7e]/g, '?')
  return `Unknown (${printable})`
}
