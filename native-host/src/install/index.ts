export {
  install,
  uninstall,
  launcherScript,
  defaultExtensionId,
  HOST_CLI,
  type InstallOptions,
  type InstallResult,
} from './install.ts'
export { manifestDir, manifestPath, launcherPath, HOST_NAME, type Browser } from './locations.ts'
export { parseInstallArgs, INSTALL_USAGE } from './args.ts'
