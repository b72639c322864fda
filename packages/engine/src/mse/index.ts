// Message Stream Encryption (MSE/PE): the handshake and the stream cipher it yields.
export {
  CRYPTO_PLAINTEXT,
  CRYPTO_RC4,
  MAX_INITIAL_PAYLOAD,
  MAX_PAD,
  MseError,
  MseInitiator,
  MseReceiver,
  createSkeyLookup,
  detectIncoming,
  req2Hash,
  type MseErrorCode,
  type MseInitiatorOptions,
  type MseMethod,
  type MseReceiverOptions,
  type MseResult,
  type MseStep,
} from './mse-handshake.ts'
export { PLAINTEXT_CIPHER, type StreamCipher } from './stream-cipher.ts'
export { Rc4, mseRc4, MSE_RC4_DISCARD } from './rc4.ts'
export { generateKeyPair, sharedSecret, DH_PRIME, DH_KEY_BYTES, type RandomBytes } from './dh.ts'
