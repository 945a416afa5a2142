// `fulcrum setup [--config F] [--dry-run]`: the boot-time host steps before
// the daemon (src/host/setup.ts; fulcrum-setup.service runs it): hugepages
// and hugetlbfs, kernel drivers, PCI ports bound for DPDK. Prints each step;
// refuses, naming the device and the reason, what cannot work, before
// anything runs; a step that fails ends it with exit 1.
import type { Argv, CommandModule } from 'yargs';
import { configOrExit } from './load-config';
import { execRunner } from '../../dataplane/twin';
import { planSetup } from '../../host/setup';

interface SetupArgs {
  config: string;
  'dry-run': boolean;
}

export const setupCommand: CommandModule<object, SetupArgs> = {
  command: 'setup',
  describe: 'prepare the host for the config before the daemon starts: hugepages, hugetlbfs, kernel drivers, PCI ports bound for DPDK',
  builder: (y: Argv<object>) =>
    y
      .option('config', { alias: 'c', type: 'string', requiresArg: true, default: '/etc/fulcrum/fulcrum.json', describe: 'the Fulcrum config (JSON or YAML)' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'print the steps, run none' }) as Argv<SetupArgs>,
  handler: (argv) => {
    const config = configOrExit(argv.config, 2);
    if (!config) return;
    const plan = planSetup(config);
    for (const d of plan.done) process.stdout.write(`fulcrum: setup: ${d}\n`);
    if (plan.problems.length) {
      for (const p of plan.problems) process.stderr.write(`fulcrum: setup: ${p}\n`);
      process.exitCode = 1;
      return;
    }
    for (const s of plan.steps) {
      const line = `${s.cmd} ${s.args.join(' ')}`;
      process.stdout.write(`fulcrum: setup: ${s.what}: ${argv['dry-run'] ? 'would run' : 'run'} ${line}\n`);
      if (argv['dry-run']) continue;
      try {
        execRunner(s.cmd, s.args);
      } catch (e) {
        process.stderr.write(`fulcrum: setup: ${s.what}: \`${line}\` failed: ${(e as Error).message.split('\n')[0]}\n`);
        process.exitCode = 1;
        return;
      }
    }
  },
};
