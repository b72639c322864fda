export * from './platform/ports.ts'
export type * from './api/types.ts'
