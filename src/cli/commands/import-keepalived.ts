// `fulcrum import-keepalived <keepalived.conf> [-o out.json] [--base config]`:
// converts keepalived's virtual_server definitions into Fulcrum services.
// Checkers become the servers' healthCheck fields, sorry_server and quorum
// the services' own fields. Warnings name their keepalived.conf line.
import { readFileSync, writeFileSync } from 'node:fs';
import { expandIncludes } from '../../keepalived/include';
import type { Argv, CommandModule } from 'yargs';
import { formatConfigErrors, validateConfig } from '../../config/validate';
import { convertKeepalived, mergeImport } from '../../keepalived/convert';
import { parse as parseYaml } from 'yaml';

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
      .option('out', { alias: 'o', type: 'string', describe: 'write the config here' })
      .option('base', { type: 'string', describe: 'merge into this Fulcrum config and validate the result' }) as Argv<ImportArgs>,
  handler: (argv) => {
    try {
      readFileSync(argv.file, 'utf8');
    } catch (e) {
      process.stderr.write(`fulcrum: import-keepalived: cannot read ${argv.file}: ${(e as Error).message}\n`);
      process.exitCode = 1;
      return;
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
      try {
        const raw = readFileSync(argv.base, 'utf8');
        base = (/\.ya?ml$/i.test(argv.base) ? parseYaml(raw) : JSON.parse(raw)) as Record<string, unknown>;
      } catch (e) {
        process.stderr.write(`fulcrum: import-keepalived: cannot read base config ${argv.base}: ${(e as Error).message}\n`);
        process.exitCode = 1;
        return;
      }
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
