// The --config of a command that reads a config without running the daemon
// (doctor, setup, replay): loaded and validated, or each problem printed as
// one line and the exit code set.
import { loadConfig } from '../../config/load';
import type { FulcrumConfig } from '../../config/types';

export function configOrExit(file: string, exitCode: number): FulcrumConfig | undefined {
  const loaded = loadConfig(file);
  if (loaded.ok) return loaded.config;
  for (const e of loaded.errors) process.stderr.write(`fulcrum: config: ${e.path}: ${e.message}\n`);
  process.exitCode = exitCode;
  return undefined;
}
