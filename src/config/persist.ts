// Persistence of the applied config (the "state file"): atomic replace, and
// the choice of what the daemon starts from.
import fs from 'node:fs';
import path from 'node:path';
import type { ConfigError, FulcrumConfig } from './types';
import { loadConfig } from './load';
import type { ValidateOptions } from './validate';

export const DEFAULT_STATE_FILE = '/var/lib/fulcrum/state.json';

/** The exact bytes the state file holds for a config (GET /config is the same JSON). */
export function serializeConfig(cfg: FulcrumConfig): string {
  return `${JSON.stringify(cfg, null, 2)}\n`;
}

/**
 * Replace `file` atomically: write a temp file in the same directory, fsync it,
 * rename it over the target, fsync the directory. A reader (or a restart after
 * kill -9 or power loss) sees the old content or the new, never a mix.
 */
export async function writeFileAtomic(file: string, data: string): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  await fs.promises.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fs.promises.open(tmp, 'w', 0o600);
    await fh.writeFile(data, 'utf8');
    await fh.sync();
    await fh.close();
    fh = undefined;
    await fs.promises.rename(tmp, file);
  } catch (e) {
    if (fh) await fh.close().catch(() => undefined);
    await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
  // The rename is durable only once the directory entry is on disk.
  const dh = await fs.promises.open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/** JSON with object keys sorted at every level: equal configs, equal text,
 * whatever order a file or the API's serializer put their keys in. */
export function canonicalJson(v: unknown): string {
  const sort = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sort);
    if (x && typeof x === 'object') {
      const o = x as Record<string, unknown>;
      return Object.fromEntries(Object.keys(o).sort().map((k) => [k, sort(o[k])]));
    }
    return x;
  };
  return JSON.stringify(sort(v));
}

/** The fields Appliance.apply cannot change live: they take a restart. */
export function fixedPart(cfg: FulcrumConfig): string {
  return canonicalJson({ dataplane: cfg.dataplane, ports: cfg.ports });
}

export type StartConfig =
  | {
      ok: true;
      config: FulcrumConfig;
      source: 'state' | 'config';
      stateFile: string;
      /** One line for the log explaining the choice. */
      note: string;
    }
  | { ok: false; errors: ConfigError[] };

/**
 * What the daemon starts from.
 *  - The --config file is always validated first: a broken file is reported
 *    (never silently masked by an older state file).
 *  - The state file (--state, else config.stateFile, else DEFAULT_STATE_FILE)
 *    is used when it exists, validates, and has the same dataplane and ports
 *    as --config: it is the last applied config (API changes survive restart
 *    and kill -9). Ports and dataplane change only with a restart, so for
 *    those the --config file wins and a state file written for other ports is
 *    ignored (the daemon then persists the --config content over it).
 */
export function chooseStartConfig(
  configFile: string,
  stateOverride: string | undefined,
  opts: ValidateOptions = {},
): StartConfig {
  const fromConfig = loadConfig(configFile, opts);
  if (!fromConfig.ok) return fromConfig;
  const stateFile = stateOverride ?? fromConfig.config.stateFile ?? DEFAULT_STATE_FILE;
  if (!fs.existsSync(stateFile)) {
    return { ok: true, config: fromConfig.config, source: 'config', stateFile, note: `no state file ${stateFile}; starting from ${configFile}` };
  }
  const fromState = loadConfig(stateFile, opts);
  if (!fromState.ok) {
    const e = fromState.errors[0]!;
    return {
      ok: true, config: fromConfig.config, source: 'config', stateFile,
      note: `state file ${stateFile} is invalid (${e.path ? `${e.path}: ` : ''}${e.message}); starting from ${configFile}`,
    };
  }
  if (fixedPart(fromState.config) !== fixedPart(fromConfig.config)) {
    return {
      ok: true, config: fromConfig.config, source: 'config', stateFile,
      note: `state file ${stateFile} has other ports/dataplane settings than ${configFile}; starting from ${configFile}`,
    };
  }
  return { ok: true, config: fromState.config, source: 'state', stateFile, note: `starting from state file ${stateFile} (last applied config)` };
}
