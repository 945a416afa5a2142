// `fulcrum import-keepalived <keepalived.conf> [-o out.json] [--base config]`:
// converts keepalived's virtual_server definitions into Fulcrum services.
// Checkers become the servers' healthCheck fields, sorry_server and quorum
// the services' own fields. Warnings name their keepalived.conf line.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { MAX_CONFIG_BYTES, parseConfigText } from '../../config/load';
import { expandIncludes } from '../../keepalived/include';
import type { Argv, CommandModule } from 'yargs';
import { formatConfigErrors, validateConfig } from '../../config/validate';
import { convertKeepalived, mergeImport } from '../../keepalived/convert';

interface ImportArgs {
  file: string;
  out?: string;
  base?: string;
}

export const importKeepalivedCommand: CommandModule<object, ImportArgs> = {
  command: 'import-keepalived <file>',
  describe: 'convert a keepalived.conf (virtual_server sections) into Fulcrum services',
  builder: (y: Argv<object>) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'keepalived.conf to read' })
      .option('out', { alias: 'o', type: 'string', requiresArg: true, describe: 'write the config here' })
      .option('base', { type: 'string', requiresArg: true, describe: 'merge into this Fulcrum config and validate the result' }) as Argv<ImportArgs>,
  handler: (argv) => {
    const refuse = (why: string): void => {
      process.stderr.write(`fulcrum: import-keepalived: ${why}\n`);
      process.exitCode = 1;
    };
    try {
      const size = statSync(argv.file).size;
      if (size > MAX_CONFIG_BYTES) return refuse(`${argv.file}: ${size} bytes: larger than ${MAX_CONFIG_BYTES >> 20} MB, not a keepalived.conf`);
      if (readFileSync(argv.file, 'utf8').includes('\0')) return refuse(`${argv.file}: binary data (NUL bytes), not a keepalived.conf`);
    } catch (e) {
      return refuse(`cannot read ${argv.file}: ${(e as Error).message}`);
    }
    // include directives are followed, as keepalived follows them.
    const ex = expandIncludes(argv.file);
    for (const p of ex.problems) process.stderr.write(`${p.file}:${p.line}: warning: ${p.message}\n`);
    const res = convertKeepalived(ex.text);
    for (const w of res.warnings) {
      const o = ex.origin(w.line);
      process.stderr.write(`${o.file}:${o.line}: ${w.severity}: ${w.message}\n`);
    }
    let config: unknown = res.config;
    if (argv.base) {
      let base: Record<string, unknown>;
      let raw: string;
      try {
        raw = readFileSync(argv.base, 'utf8');
      } catch (e) {
        return refuse(`cannot read base config ${argv.base}: ${(e as Error).message}`);
      }
      const parsed = parseConfigText(raw, argv.base);
      if (!parsed.ok) return refuse(`base config ${parsed.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
      if (!parsed.data || typeof parsed.data !== 'object' || Array.isArray(parsed.data)) return refuse(`base config ${argv.base}: not an object`);
      base = parsed.data as Record<string, unknown>;
      config = mergeImport(base, res.config);
      const v = validateConfig(config);
      if (!v.ok) {
        for (const l of formatConfigErrors(v.errors)) process.stderr.write(`${l}\n`);
        process.stderr.write('fulcrum: import-keepalived: the merged config is not valid; nothing written\n');
        process.exitCode = 1;
        return;
      }
    }
    const nChecks = res.config.services.reduce((n, s) => n + s.servers.filter((r) => r.healthCheck).length, 0);
    if (argv.out) {
      writeFileSync(argv.out, JSON.stringify(config, null, 2) + '\n');
      process.stderr.write(`fulcrum: wrote ${res.config.services.length} service(s) with ${nChecks} health check(s) to ${argv.out}\n`);
    } else {
      process.stdout.write(JSON.stringify({ config, warnings: res.warnings }, null, 2) + '\n');
    }
  },
};
