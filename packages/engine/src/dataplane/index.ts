export * from './framed-reader.ts'
export * from './framed-writer.ts'
export * from './piece-store.ts'
export * from './spec-layout.ts'
