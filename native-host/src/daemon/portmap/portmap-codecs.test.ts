import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseProcNetRoute } from './gateway.ts'
import { decodeSoapResponse, encodeSoapRequest, findWanService, tagText, upnpErrorText } from './igd-codec.ts'
import { decodePmpResponse, encodePmpExternalAddress, encodePmpMap } from './natpmp-codec.ts'
import { decodePcpResponse, encodePcpMap } from './pcp-codec.ts'
import { decodeSsdpResponse, encodeMSearch } from './ssdp-codec.ts'

const dir = join(import.meta.dirname, 'fixtures', 'miniupnpd-2.3.1')
const text = (f: string): string => readFileSync(join(dir, f), 'utf8')
const hex = (f: string): Uint8Array => new Uint8Array(Buffer.from(text(f).trim().split('\n')[0], 'hex'))
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

describe('NAT-PMP codec (RFC 6886) against miniupnpd 2.3.1', () => {
  it('encodes the requests as §3.2 and §3.3 lay them out', () => {
    expect(toHex(encodePmpExternalAddress())).toBe('0000')
    expect(toHex(encodePmpMap('tcp', 6881, 6881, 3600))).toBe('000200001ae11ae100000e10')
    expect(toHex(encodePmpMap('udp', 6881, 0, 0))).toBe('000100001ae1000000000000')
  })
  it('reads the external address answer', () => {
    expect(decodePmpResponse(hex('natpmp-external-address.hex'))).toEqual({
      op: 'external-address',
      result: 0,
      epoch: 23,
      externalAddress: '44.0.0.5',
    })
  })
  it('reads a map answer and a delete answer', () => {
    expect(decodePmpResponse(hex('natpmp-map-tcp.hex'))).toEqual({
      op: 'map',
      protocol: 'tcp',
      result: 0,
      epoch: 24,
      internalPort: 6881,
      externalPort: 6881,
      lifetimeSec: 3600,
    })
    expect(decodePmpResponse(hex('natpmp-delete-tcp.hex'))).toMatchObject({
      op: 'map',
      result: 0,
      externalPort: 0,
      lifetimeSec: 0,
    })
  })
  it('reads the 8-byte UNSUPP_VERSION answer a NAT-PMP-only gateway gives a PCP request (RFC 6887 §9)', () => {
    expect(decodePmpResponse(Uint8Array.from([0, 0x81, 0, 1, 0, 0, 0, 9]))).toEqual({
      op: 'error',
      requestOp: 1,
      result: 1,
      epoch: 9,
    })
  })
  it('refuses requests, PCP packets and truncated answers', () => {
    expect(decodePmpResponse(encodePmpMap('tcp', 1, 1, 1))).toBeNull() // opcode < 128: a request
    expect(decodePmpResponse(hex('pcp-map-udp.hex'))).toBeNull()
    expect(decodePmpResponse(hex('natpmp-map-tcp.hex').subarray(0, 12))).toBeNull() // success needs its fields
  })
})

describe('PCP codec (RFC 6887) against miniupnpd 2.3.1', () => {
  const nonce = Uint8Array.from(Buffer.from('0102030405060708090a0b0c', 'hex'))
  it('encodes a MAP request byte-identical to the one miniupnpd answered', () => {
    const req = encodePcpMap({
      nonce,
      protocol: 'udp',
      internalPort: 6881,
      suggestedExternalPort: 6881,
      lifetimeSec: 3600,
      clientAddress: '10.77.0.2',
    })
    expect(toHex(req)).toBe(toHex(hex('pcp-map-udp-request.hex')))
  })
  it('reads a MAP success: external address as IPv4-mapped, nonce echoed', () => {
    const r = decodePcpResponse(hex('pcp-map-udp.hex'))
    expect(r).toMatchObject({
      op: 'map',
      result: 0,
      lifetimeSec: 3600,
      epoch: 27,
      protocol: 'udp',
      internalPort: 6881,
      externalPort: 6881,
      externalAddress: '44.0.0.5',
    })
    expect(r?.op === 'map' && toHex(r.nonce)).toBe(toHex(nonce))
  })
  it('reads a delete (lifetime 0) and ADDRESS_MISMATCH (12)', () => {
    expect(decodePcpResponse(hex('pcp-delete-udp.hex'))).toMatchObject({ op: 'map', result: 0, lifetimeSec: 0 })
    expect(decodePcpResponse(hex('pcp-map-address-mismatch.hex'))).toMatchObject({
      op: 'map',
      result: 12,
      externalAddress: '0.0.0.0',
    })
  })
  it('refuses requests, NAT-PMP packets and short datagrams', () => {
    expect(decodePcpResponse(hex('pcp-map-udp-request.hex'))).toBeNull()
    expect(decodePcpResponse(hex('natpmp-map-tcp.hex'))).toBeNull()
    expect(decodePcpResponse(hex('pcp-map-udp.hex').subarray(0, 20))).toBeNull()
  })
  it('refuses a client address that is not IPv4', () => {
    expect(() =>
      encodePcpMap({
        nonce,
        protocol: 'tcp',
        internalPort: 1,
        suggestedExternalPort: 1,
        lifetimeSec: 1,
        clientAddress: 'fe80::1',
      }),
    ).toThrow()
  })
})

describe('SSDP and IGD description against miniupnpd 2.3.1', () => {
  it('M-SEARCH has the headers UDA 1.1 §1.3.2 requires', () => {
    const s = new TextDecoder().decode(encodeMSearch('urn:schemas-upnp-org:device:InternetGatewayDevice:1', 1))
    expect(s.startsWith('M-SEARCH * HTTP/1.1\r\n')).toBe(true)
    expect(s).toContain('HOST: 239.255.255.250:1900\r\n')
    expect(s).toContain('MAN: "ssdp:discover"\r\n')
    expect(s).toContain('MX: 1\r\n')
    expect(s.endsWith('\r\n\r\n')).toBe(true)
  })
  it('reads the search response', () => {
    const r = decodeSsdpResponse(new Uint8Array(readFileSync(join(dir, 'ssdp-response.txt'))))
    expect(r).toMatchObject({
      location: 'http://10.77.0.1:5000/rootDesc.xml',
      st: 'urn:schemas-upnp-org:device:InternetGatewayDevice:1',
    })
    expect(r?.usn).toContain('uuid:3d3cec3a')
  })
  it('ignores NOTIFY and M-SEARCH datagrams', () => {
    const notify =
      'NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nLOCATION: http://10.0.0.1/x.xml\r\nNT: upnp:rootdevice\r\nNTS: ssdp:alive\r\n\r\n'
    expect(decodeSsdpResponse(new TextEncoder().encode(notify))).toBeNull()
    expect(decodeSsdpResponse(encodeMSearch('ssdp:all', 1))).toBeNull()
  })
  it('finds WANIPConnection:2 in the nested device list, resolved against the location', () => {
    expect(findWanService(text('rootDesc.xml'), 'http://10.77.0.1:5000/rootDesc.xml')).toEqual({
      serviceType: 'urn:schemas-upnp-org:service:WANIPConnection:2',
      controlUrl: 'http://10.77.0.1:5000/ctl/IPConn',
    })
  })
  it('takes URLBase and WANPPPConnection from a description laid out as IGD 1.0 §2.5 gives it', () => {
    // Constructed after the IGD:1 device template (a DSL router with a PPP link), not captured.
    const xml = `<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0"><URLBase>http://192.168.178.1:49000</URLBase>
      <device><deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType><deviceList><device><deviceList><device>
      <serviceList><service><serviceType>urn:schemas-upnp-org:service:WANDSLLinkConfig:1</serviceType><controlURL>/igdupnp/control/WANDSLLinkC1</controlURL></service>
      <service><serviceType>urn:schemas-upnp-org:service:WANPPPConnection:1</serviceType><controlURL>/igdupnp/control/WANPPPConn1</controlURL></service></serviceList>
      </device></deviceList></device></deviceList></device></root>`
    expect(findWanService(xml, 'http://192.168.178.1:49000/igddesc.xml')).toEqual({
      serviceType: 'urn:schemas-upnp-org:service:WANPPPConnection:1',
      controlUrl: 'http://192.168.178.1:49000/igdupnp/control/WANPPPConn1',
    })
    expect(findWanService('<root><device></device></root>', 'http://10.0.0.1/')).toBeNull()
  })
})

describe('SOAP against miniupnpd 2.3.1', () => {
  it('builds an envelope with the action in the service namespace and escaped arguments', () => {
    const { body, soapAction } = encodeSoapRequest('urn:schemas-upnp-org:service:WANIPConnection:1', 'AddPortMapping', [
      ['NewPortMappingDescription', 'a<b&c'],
      ['NewExternalPort', 6881],
    ])
    expect(soapAction).toBe('"urn:schemas-upnp-org:service:WANIPConnection:1#AddPortMapping"')
    expect(body).toContain('<u:AddPortMapping xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:1">')
    expect(body).toContain(
      '<NewPortMappingDescription>a&lt;b&amp;c</NewPortMappingDescription><NewExternalPort>6881</NewExternalPort>',
    )
    expect(tagText(body, 'NewPortMappingDescription')).toBe('a<b&c')
  })
  it('reads the self-closing AddPortMappingResponse, GetExternalIPAddress and DeletePortMapping', () => {
    expect(decodeSoapResponse(text('soap-add-ok.xml'), 'AddPortMapping')).toEqual({ ok: true, values: {} })
    expect(decodeSoapResponse(text('soap-external-ip.xml'), 'GetExternalIPAddress')).toEqual({
      ok: true,
      values: { NewExternalIPAddress: '44.0.0.5' },
    })
    expect(decodeSoapResponse(text('soap-delete-ok.xml'), 'DeletePortMapping')).toEqual({ ok: true, values: {} })
  })
  it('reads UPnPError faults 606 and 718 with readable text', () => {
    const f606 = decodeSoapResponse(text('soap-add-fault-not-authorized.xml'), 'AddPortMapping')
    expect(f606).toEqual({ ok: false, errorCode: 606, errorDescription: 'Action not authorized' })
    const f718 = decodeSoapResponse(text('soap-add-fault-other-client.xml'), 'AddPortMapping')
    expect(f718).toEqual({ ok: false, errorCode: 718, errorDescription: 'ConflictInMappingEntry' })
    expect(upnpErrorText(718, 'ConflictInMappingEntry')).toBe(
      'UPnP error 718 (the external port is mapped to another client): ConflictInMappingEntry',
    )
  })
  it('a reply for another action is not success', () => {
    expect(decodeSoapResponse(text('soap-external-ip.xml'), 'AddPortMapping').ok).toBe(false)
  })
})

describe('default gateway from /proc/net/route', () => {
  it('picks the default route with the lowest metric; the address is little-endian hex', () => {
    const table = [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      'wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0',
      'eth0\t00000000\t01004D0A\t0003\t0\t0\t100\t00000000\t0\t0\t0',
      'eth0\t00004D0A\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0',
    ].join('\n')
    expect(parseProcNetRoute(table)).toEqual({ iface: 'eth0', gateway: '10.77.0.1' })
    expect(
      parseProcNetRoute(
        table
          .split('\n')
          .filter((l) => !l.includes('\t0003\t'))
          .join('\n'),
      ),
    ).toBeUndefined()
  })
})
