export * from './protocol.ts'
export * from './frame-codec.ts'
