export * from './platform/ports.ts'
export * from './platform/piece-hashers.ts'
export type * from './api/types.ts'
export type * from './api/create-types.ts'
export * from './util/hex.ts'
export * from './util/base32.ts'
export * from './util/bytes.ts'
export * from './util/sha1.ts'
export * from './util/percent-encode.ts'
export * from './util/clock.ts'
export { LOG_COMPONENTS, type LogComponent } from './util/log.ts'
export type { CloseReason, CloseKind } from './wire/close-reason.ts'
export * from './util/bencode.ts'
export * from './metainfo/metainfo-error.ts'
export * from './metainfo/metainfo-limits.ts'
export * from './metainfo/sanitize-path.ts'
export * from './metainfo/parse-info.ts'
export * from './metainfo/parse-metainfo.ts'
export * from './metainfo/create-torrent.ts'
export * from './util/peer-address.ts'
export * from './magnet/parse-magnet.ts'
export {
  PeerPool,
  DEFAULT_PEER_POOL_CONFIG,
  SHARED_HASHFAIL_BAN,
  type PeerPoolConfig,
  type PeerPoolOptions,
  type PeerPoolStats,
} from './pool/peer-pool.ts'
export type { TorrentPeer, PeerSource, PeerState } from './pool/torrent-peer.ts'
export { peerPriority, crc32c } from './pool/bep40.ts'
export { isLocalAddress, parseIp, type ParsedIp } from './pool/ip-address.ts'
export {
  ConnectionQueue,
  type ConnectionQueueOptions,
  type ConnectionQueueStats,
  type QueueTorrent,
} from './queue/connection-queue.ts'
export { TokenBucket } from './queue/token-bucket.ts'
export * from './platform/memory-files.ts'
export * from './platform/memory-state.ts'
export { blockCount, checkLayout, fileAt, piecesOfFile, segments } from './storage/file-map.ts'
export type { LayoutFile, Segment, StorageLayout } from './storage/file-map.ts'
export * from './dataplane/index.ts'
export * from './storage/piece-priorities.ts'
export * from './storage/torrent-storage.ts'
export * from './storage/recheck.ts'
export * from './storage/resume-state.ts'
export * from './storage/resume-saver.ts'
export * from './picker/piece-bits.ts'
export * from './picker/piece-picker.ts'
export {
  Choker,
  chokeChanges,
  DEFAULT_CHOKER_CONFIG,
  type ChokerConfig,
  type ChokerPeerView,
  type ChokeDecision,
} from './choke/choker.ts'
export { MemoryNetwork, type MemoryNetworkOptions, type ConnectOutcome } from './platform/memory-net.ts'
export {
  encodeHandshake,
  parseHandshake,
  HANDSHAKE_LENGTH,
  type Handshake,
  type HandshakeFlags,
  type HandshakeResult,
} from './wire/handshake.ts'
export { generatePeerId, decodeClient } from './wire/peer-id.ts'
export { Bitfield } from './wire/bitfield.ts'
export * as wire from './wire/wire-codec.ts'
export type { BlockRef, WireMessage, DecodeResult, WireInvalid, NeedMore, WireErrorCode } from './wire/wire-codec.ts'
export { WireDecoder, DEFAULT_DECODER_LIMITS, type DecoderLimits } from './wire/wire-decoder.ts'
export { PeerConnection } from './wire/peer-connection.ts'
export { DEFAULT_PEER_CONFIG } from './wire/peer-types.ts'
export type {
  PeerConnectionConfig,
  PeerConnectionHandlers,
  PeerConnectionOptions,
  PeerConnectionStats,
  PeerConnectionLike,
  TorrentShape,
  LocalPieces,
  DropReason,
} from './wire/peer-types.ts'
export { allowedFastSet } from './wire/allowed-fast.ts'
export * from './tracker/tracker-error.ts'
export type * from './tracker/announce-types.ts'
export * from './tracker/http-client.ts'
export * from './tracker/http-announce.ts'
export * from './tracker/udp-tracker-codec.ts'
export * from './tracker/udp-tracker-client.ts'
export * from './tracker/announce.ts'
export * from './tracker/tracker-manager.ts'
export * from './extension/extension-error.ts'
export * from './extension/extended-handshake.ts'
export * from './extension/ut-metadata.ts'
export * from './extension/metadata-assembler.ts'
export { BtEngine, type BtEngineOptions, type AddOptions } from './engine/bt-engine.ts'
export { createEngineApi, type EngineApiHost } from './engine/engine-api.ts'
export { DEFAULT_SETTINGS, mergeSettings, parseHostPort, SETTING_BOUNDS } from './engine/settings.ts'
export { describeMapping, PortForwarding } from './engine/port-forwarding.ts'
export { Torrent, type TorrentInit } from './torrent/torrent.ts'
export type { DisplayPeer } from './torrent/display-peers.ts'
export { PieceReadCache } from './torrent/piece-read-cache.ts'
export type { PeerSession } from './torrent/peer-session.ts'
export * from './extension/ut-pex.ts'
export * from './tracker/http-scrape.ts'
export * from './create/index.ts'
