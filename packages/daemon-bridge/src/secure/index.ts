export { type Aead, type AeadFactory, nobleAead, TAG_BYTES } from './aead.ts'
export { MAX_HANDSHAKE_BYTES, Msg, SecureChannel, SecureClose } from './channel.ts'
export * from './companion-client.ts'
export { CpaceParty, normalizeCode, PairingError, SID_BYTES } from './cpace.ts'
export {
  concatBytes,
  generateKeyPair,
  HandshakeError,
  IkInitiator,
  IkResponder,
  type KeyPair,
  type NoiseResult,
} from './noise-ik.ts'
export { SecureSocket } from './secure-socket.ts'
