/**
 * The Message Stream Encryption handshake (MSE/PE, the "obfuscation" protocol of Azureus/libtorrent),
 * sans-I/O: the caller feeds received bytes to push(), sends what it returns, and owns the socket and
 * the timeout. Both roles:
 *
 *   1 A->B: Ya, PadA
 *   2 B->A: Yb, PadB
 *   3 A->B: HASH('req1', S), HASH('req2', SKEY) xor HASH('req3', S),
 *           ENCRYPT(VC, crypto_provide, len(PadC), PadC, len(IA)), ENCRYPT(IA)
 *   4 B->A: ENCRYPT(VC, crypto_select, len(PadD), PadD), then the payload (RC4 or plaintext)
 *
 * Y are 96-byte DH public keys, S the shared secret, SKEY the torrent's info-hash, HASH SHA-1, VC eight
 * zero bytes, pads at most 512 bytes, ENCRYPT RC4 keyed with HASH('keyA', S, SKEY) from A and
 * HASH('keyB', S, SKEY) from B, first 1024 bytes discarded. IA (A's initial payload, normally its
 * BitTorrent handshake) is always RC4-encrypted, even when plaintext is selected for what follows.
 * Neither side knows the other's pad length, so each finds its place by searching: B for
 * HASH('req1', S) within 512 + 20 bytes after Ya, A for ENCRYPT(VC) within 512 + 8 bytes after Yb.
 *
 * The pieces: mse-protocol.ts (constants, errors, hashes), mse-machine.ts (what both roles share),
 * mse-initiator.ts and mse-receiver.ts.
 */
export {
  CRYPTO_PLAINTEXT,
  CRYPTO_RC4,
  MAX_INITIAL_PAYLOAD,
  MAX_PAD,
  MseError,
  createSkeyLookup,
  detectIncoming,
  req2Hash,
  type MseErrorCode,
  type MseInitiatorOptions,
  type MseMethod,
  type MseReceiverOptions,
  type MseResult,
  type MseStep,
} from './mse-protocol.ts'
export { MseInitiator } from './mse-initiator.ts'
export { MseReceiver } from './mse-receiver.ts'
