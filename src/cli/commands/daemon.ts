// `fulcrum daemon --config <file> [--dry-run]`
import type { Argv, CommandModule } from 'yargs';
import { loadConfig } from '../../config/load';
import { formatConfigErrors } from '../../config/validate';
import { probeHost } from '../../dataplane/eal';
import { Appliance, planAppliance } from '../../lb/appliance';

interface DaemonArgs {
  config: string;
  'dry-run': boolean;
}

function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0]!.trim();
}

/** Exits the process; returns only while the daemon runs. */
export function runDaemon(args: { config: string; dryRun: boolean }): void {
  const host = probeHost();
  const res = loadConfig(args.config, { cpus: host.cpuCount });
  if (!res.ok) {
    for (const line of formatConfigErrors(res.errors)) process.stderr.write(`${line}\n`);
    process.exit(2);
  }
  const cfg = res.config;

  if (args.dryRun) {
    try {
      process.stdout.write(`${JSON.stringify(planAppliance(cfg, host), null, 2)}\n`);
    } catch (e) {
      process.stderr.write(`fulcrum: ${oneLine(e)}\n`);
      process.exit(1);
    }
    process.exit(0);
  }

  const app = new Appliance(cfg, { host });
  try {
    const plan = app.start();
    const ports = cfg.ports
      .map((p) => `${p.name}=${p.device.split(',')[0]}${p.twin === false ? '' : `(${p.twin})`}`)
      .join(' ');
    process.stdout.write(
      `fulcrum: up: ${cfg.dataplane.workers.length} workers, ports ${ports}; ${plan.memory.note}\n`,
    );
  } catch (e) {
    process.stderr.write(`fulcrum: ${oneLine(e)}\n`);
    try {
      app.stop();
    } catch {
      /* already failing; the first error is the one that matters */
    }
    process.exit(1);
  }

  // DPDK lcores are not libuv handles: without this Node would exit at once.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  let stopping = false;
  const shutdown = (sig: string): void => {
    if (stopping) return;
    stopping = true;
    clearInterval(keepAlive);
    try {
      app.stop();
    } catch (e) {
      process.stderr.write(`fulcrum: stop after ${sig}: ${oneLine(e)}\n`);
      process.exit(1);
    }
    process.exit(0);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

export const daemonCommand: CommandModule<object, DaemonArgs> = {
  command: 'daemon',
  describe: 'run the load balancer',
  builder: (y: Argv) =>
    y
      .option('config', { alias: 'c', type: 'string', demandOption: true, describe: 'config file (JSON or YAML)' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'print EAL args and plan as JSON, start nothing' }) as unknown as Argv<DaemonArgs>,
  handler: (argv) => {
    runDaemon({ config: argv.config, dryRun: argv['dry-run'] });
  },
};
