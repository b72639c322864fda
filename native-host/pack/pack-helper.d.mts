/** Builds tidepool-helper-<version>.tgz in outDir (default dist/helper) and returns its path. */
export function packHelper(options?: { outDir?: string; quiet?: boolean }): Promise<string>
