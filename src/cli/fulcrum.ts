#!/usr/bin/env node
// `fulcrum` entry point: argument parsing only; commands live in ./commands.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from './commands';

const args = hideBin(process.argv);
// Options belong after the command (fulcrum daemon --config f); one before
// it would swallow the command as its value: name it instead.
const firstCmd = args.findIndex((a) => !a.startsWith('-'));
const early = args.slice(0, firstCmd < 0 ? args.length : firstCmd).find((a) => !['--help', '-h', '--version'].includes(a));
if (early !== undefined && firstCmd >= 0) {
  process.stderr.write(`fulcrum: ${early}: options go after the command (fulcrum <command> ${early.split('=')[0]} ...) (see fulcrum --help)\n`);
  process.exit(2);
}

let cli = yargs(args)
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
