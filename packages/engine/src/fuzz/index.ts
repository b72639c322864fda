// Fuzzing entry points for runners outside the engine (`pnpm fuzz`); not part of the engine's API.
export { FUZZ_TARGETS, fuzzTarget } from './targets.ts'
export { runFuzz, type FuzzFailure, type FuzzReport, type FuzzTarget } from '../util/fuzz.ts'
