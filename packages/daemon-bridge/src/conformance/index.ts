export { allCases, runConformance, type CaseResult, type ConformanceReport } from './run-conformance.ts'
export type { ConformanceCase, ConformanceTarget } from './harness.ts'
