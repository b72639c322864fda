// The `bencode` package ships no types; this is the part of its API we call.
declare module 'bencode' {
  const bencode: {
    encode(value: unknown): Uint8Array
    decode(data: Uint8Array, start?: number, end?: number): unknown
    byteLength(value: unknown): number
  }
  export default bencode
}
