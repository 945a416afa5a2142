#!/usr/bin/env node
// `fulcrum` entry point: argument parsing only; commands live in ./commands.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from './commands';

let cli = yargs(hideBin(process.argv))
  .scriptName('fulcrum')
  .strict()
  .demandCommand(1, 'a command is required')
  .help()
  .version()
  // Usage errors: one line and exit 2, like config errors; no stack traces.
  .fail((msg, err) => {
    if (msg) {
      process.stderr.write(`fulcrum: ${msg} (see fulcrum --help)\n`);
      process.exit(2);
    }
    // A handler threw: a bug, not a usage error. Still one line.
    process.stderr.write(`fulcrum: ${err?.message.split('\n')[0] ?? 'unknown error'}\n`);
    process.exit(1);
  });
for (const c of commands) cli = cli.command(c);
void cli.parseAsync();
