/**
 * Whole-engine tests run over both paths: the `unit` project without a data plane, the
 * `unit-dataplane` project (vitest.config.ts) with a MemoryDataPlane beside each engine's files.
 * A test builds its platform with `...testDataPlane(files)`.
 */
import { inject } from 'vitest'
import { MemoryDataPlane } from './memory-data-plane.ts'
import type { FilePort } from './ports.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    /** This run gives engines a data plane (the `unit-dataplane` project). */
    dataPlane: boolean
  }
}

/** True in the run over the data plane. */
export function overDataPlane(): boolean {
  return inject('dataPlane') === true
}

/** `{ dataPlane }` for an engine's platform in the data-plane run, `{}` otherwise. */
export function testDataPlane(files: FilePort): { dataPlane?: MemoryDataPlane } {
  return overDataPlane() ? { dataPlane: new MemoryDataPlane(files) } : {}
}
