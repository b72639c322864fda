/**
 * The two documents an IGD speaks: its device description (which control URL serves
 * WANIPConnection / WANPPPConnection) and SOAP calls to that URL (UPnP IGD WANIPConnection:1/:2).
 * A tag reader, not an XML parser: the documents are small, fixed in shape, and come from a device on
 * our own LAN; everything read is bounded and entity-decoded.
 */

export const WAN_SERVICES = [
  'urn:schemas-upnp-org:service:WANIPConnection:2',
  'urn:schemas-upnp-org:service:WANIPConnection:1',
  'urn:schemas-upnp-org:service:WANPPPConnection:1',
] as const

export interface IgdService {
  serviceType: string
  /** Absolute URL of the control endpoint. */
  controlUrl: string
}

function decodeEntities(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCharCode(Number(d)))
    .replace(/&amp;/g, '&')
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/** Text of the first <name> element (any namespace prefix) inside `xml`, or undefined. */
export function tagText(xml: string, name: string): string | undefined {
  const m = new RegExp(`<(?:[\\w-]+:)?${name}(?:\\s[^>]*)?>([\\s\\S]*?)</(?:[\\w-]+:)?${name}\\s*>`, 'i').exec(xml)
  return m ? decodeEntities(m[1].trim()) : undefined
}

/**
 * The WAN connection service to use from a device description fetched from `location`: the first of
 * WAN_SERVICES (in that order of preference) that the description lists.
 */
export function findWanService(xml: string, location: string): IgdService | null {
  const base = tagText(xml, 'URLBase') || location
  const found: IgdService[] = []
  for (const m of xml.matchAll(/<(?:[\w-]+:)?service(?:\s[^>]*)?>([\s\S]*?)<\/(?:[\w-]+:)?service\s*>/gi)) {
    const serviceType = tagText(m[1], 'serviceType')
    const control = tagText(m[1], 'controlURL')
    if (!serviceType || !control) continue
    let controlUrl: string
    try {
      controlUrl = new URL(control, base).toString()
    } catch {
      continue
    }
    found.push({ serviceType, controlUrl })
  }
  for (const want of WAN_SERVICES) {
    const s = found.find((f) => f.serviceType === want)
    if (s) return s
  }
  return null
}

export type SoapArgs = Array<[string, string | number]>

export function encodeSoapRequest(
  serviceType: string,
  action: string,
  args: SoapArgs,
): { body: string; soapAction: string } {
  const inner = args.map(([k, v]) => `<${k}>${escapeXml(String(v))}</${k}>`).join('')
  const body =
    '<?xml version="1.0"?>\r\n' +
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">' +
    `<s:Body><u:${action} xmlns:u="${serviceType}">${inner}</u:${action}></s:Body></s:Envelope>\r\n`
  return { body, soapAction: `"${serviceType}#${action}"` }
}

export type SoapResult =
  | { ok: true; values: Record<string, string> }
  | { ok: false; errorCode: number | undefined; errorDescription: string }

/**
 * A SOAP reply: the `<actionResponse>` element's children, or the UPnPError inside a Fault
 * (errorCode 718 ConflictInMappingEntry, 725 OnlyPermanentLeasesSupported, 606 not authorized, ...).
 */
export function decodeSoapResponse(xml: string, action: string): SoapResult {
  if (/<(?:[\w-]+:)?Fault[\s>]/i.test(xml)) {
    const code = tagText(xml, 'errorCode')
    const n = code !== undefined && /^\d+$/.test(code) ? Number(code) : undefined
    return {
      ok: false,
      errorCode: n,
      errorDescription: tagText(xml, 'errorDescription') ?? tagText(xml, 'faultstring') ?? 'SOAP fault',
    }
  }
  // An empty response may be self-closing (miniupnpd: `<u:AddPortMappingResponse xmlns:u="..."/>`).
  if (new RegExp(`<(?:[\\w-]+:)?${action}Response(?:\\s[^>]*)?/>`, 'i').test(xml)) return { ok: true, values: {} }
  const m = new RegExp(
    `<(?:[\\w-]+:)?${action}Response(?:\\s[^>]*)?>([\\s\\S]*?)</(?:[\\w-]+:)?${action}Response\\s*>`,
    'i',
  ).exec(xml)
  if (!m) return { ok: false, errorCode: undefined, errorDescription: `no ${action}Response in the reply` }
  const values: Record<string, string> = {}
  for (const c of m[1].matchAll(/<(?:[\w-]+:)?([\w-]+)(?:\s[^>]*)?>([\s\S]*?)<\/(?:[\w-]+:)?\1\s*>/g))
    values[c[1]] = decodeEntities(c[2].trim())
  for (const c of m[1].matchAll(/<(?:[\w-]+:)?([\w-]+)(?:\s[^>]*)?\/>/g)) values[c[1]] ??= ''
  return { ok: true, values }
}

/** Readable text for the UPnP error codes a port mapping meets (IGD WANIPConnection:2 §2.4.16 and §2.5). */
export function upnpErrorText(code: number | undefined, description: string): string {
  const known: Record<number, string> = {
    402: 'invalid arguments',
    501: 'action failed',
    606: 'action not authorized',
    714: 'no such mapping',
    715: 'wildcard not permitted in source IP',
    716: 'wildcard not permitted in external port',
    718: 'the external port is mapped to another client',
    724: 'internal and external ports must be the same',
    725: 'the gateway only supports permanent leases',
    726: 'remote host must be a wildcard',
    727: 'external port must be a wildcard',
    728: 'no port maps available',
  }
  const name = code !== undefined ? known[code] : undefined
  return code === undefined
    ? description
    : `UPnP error ${code}${name ? ` (${name})` : ''}${description && description !== name ? `: ${description}` : ''}`
}
