// `fulcrum demo [--once]`: the namespace showcase (root only).
import type { Argv, CommandModule } from 'yargs';
import { runDemo } from './demo';

interface DemoArgs {
  once: boolean;
}

export const demoCommand: CommandModule<object, DemoArgs> = {
  command: 'demo',
  describe: 'build a namespace topology (client, director, 3 real servers) and show Fulcrum working',
  builder: (y: Argv<object>) =>
    y.option('once', { type: 'boolean', default: false, describe: 'exit after the checks' }) as Argv<DemoArgs>,
  handler: async (argv) => {
    process.exitCode = await runDemo({ once: argv.once });
  },
};
