export {
  autoPieceLength,
  isValidPieceLength,
  parsePieceLength,
  MIN_PIECE_LENGTH,
  MAX_PIECE_LENGTH,
} from './piece-length.ts'
export {
  collectFiles,
  CreateTorrentError,
  MAX_SOURCE_FILES,
  type SourceFile,
  type SourceTree,
} from './collect-files.ts'
export { hashPieces, CreateCancelled, type HashProgress, type HashPiecesOptions } from './hash-pieces.ts'
export { buildInfo, buildMetainfo, type MetainfoExtras } from './build-metainfo.ts'
export { createTorrentFromFiles, type CreateTorrentRequest, type CreatedTorrent } from './create-torrent-files.ts'
export { createdResume, seedableInPlace } from './created-resume.ts'
export { TorrentCreator, type CreatorHost } from './torrent-creator.ts'
