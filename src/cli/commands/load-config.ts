// The --config of a command that reads a config without running the daemon
// (doctor, setup, replay): loaded and validated, or each problem printed as
// one line and the exit code set. It accepts what the daemon accepts: the
// API token may come from FULCRUM_API_TOKEN (the units' environment file).
import { loadConfig } from '../../config/load';
import type { FulcrumConfig } from '../../config/types';
import { apiTokenInEnv } from '../../config/validate';

export function configOrExit(file: string, exitCode: number): FulcrumConfig | undefined {
  const loaded = loadConfig(file, { apiTokenFromEnv: apiTokenInEnv() });
  if (loaded.ok) return loaded.config;
  for (const e of loaded.errors) process.stderr.write(`fulcrum: config: ${e.path}: ${e.message}\n`);
  process.exitCode = exitCode;
  return undefined;
}
