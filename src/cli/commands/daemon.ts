// `fulcrum daemon --config <file> [--state <file>] [--dry-run]`
import { requireOptions } from './require';
import type { Argv, CommandModule } from 'yargs';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../config/load';
import { chooseStartConfig } from '../../config/persist';
import { apiTokenInEnv, formatConfigErrors, type ValidateOptions } from '../../config/validate';
import { probeHost, probePortChannels } from '../../dataplane/eal';
import { workerCoreChecks } from '../../host/doctor';
import { Appliance, planAppliance } from '../../lb/appliance';
import { ConfigRejected, ConfigWriter } from '../../lb/writer';
import { startApi, type StartedApi } from '../../api/server';
import { HealthManager } from '../../health/manager';
import { buildMetrics } from '../../metrics/registry';
import { HaController } from '../../ha/controller';

interface DaemonArgs {
  config: string;
  state?: string;
  'dry-run': boolean;
}

function oneLine(e: unknown): string {
  if (e instanceof ConfigRejected) {
    const first = e.errors[0];
    const more = e.errors.length > 1 ? ` (+${e.errors.length - 1} more)` : '';
    return first ? `${first.path || '(root)'}: ${first.message}${more}` : 'config rejected';
  }
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0]!.trim();
}

/** Exits the process; resolves only while the daemon runs. */
export async function runDaemon(args: { config: string; state?: string; dryRun: boolean }): Promise<void> {
  const host = probeHost();
  const vopts: ValidateOptions = { cpus: host.cpuCount, apiTokenFromEnv: apiTokenInEnv() };
  const res = chooseStartConfig(args.config, args.state, vopts);
  if (!res.ok) {
    for (const line of formatConfigErrors(res.errors)) process.stderr.write(`${line}\n`);
    process.exit(2);
  }
  const cfg = res.config;
  // The queues of the interfaces under AF_XDP-capable ports decide how they open (src/net/ports).
  host.channels = probePortChannels(cfg);
  // Pollers on CPUs the kernel also uses run, with jitter: say so (fulcrum doctor has the rest).
  if (!args.dryRun) for (const c of workerCoreChecks(cfg, host)) if (c.status !== 'ok') process.stdout.write(`fulcrum: warning: ${c.what}: ${c.detail}\n`);

  if (args.dryRun) {
    try {
      process.stdout.write(`${JSON.stringify(planAppliance(cfg, host), null, 2)}\n`);
    } catch (e) {
      process.stderr.write(`fulcrum: ${oneLine(e)}\n`);
      process.exit(1);
    }
    process.exit(0);
  }

  // Health checks: the dataplane runs health.effective(desired); the writer
  // persists desired state only. Checks start once the API listens.
  let writer: ConfigWriter;
  const health = new HealthManager({ republish: (why) => writer.republish(why) });
  const app = new Appliance(health.effective(cfg), { host });
  const ha = new HaController(app, (line) => process.stdout.write(`fulcrum: ${line}\n`));
  const haUpdate = (c: typeof cfg): void => {
    ha.update(c).catch((e: unknown) => process.stderr.write(`fulcrum: ${oneLine(e)}\n`));
  };
  let api: FastifyInstance | undefined;
  let started: StartedApi | undefined;
  try {
    const plan = app.start();
    const views = app.ports();
    const ports = views
      .map((p) => `${p.name}=${p.driver}${p.iface ? `:${p.iface}` : ''}${p.twin ? `(${p.twin})` : ''}`)
      .join(' ');
    process.stdout.write(
      `fulcrum: up: ${cfg.dataplane.workers.length} workers, ports ${ports}; ${plan.memory.note}\n`,
    );
    for (const p of views) {
      if (p.xdp) process.stdout.write(`fulcrum: port ${p.name}: AF_XDP on ${p.iface}, ${p.xdp.mode ?? 'unknown'} XDP, ${p.xdp.copy}, ${p.xdp.sockets} sockets\n`);
      if (p.fallbackReason) process.stdout.write(`fulcrum: port ${p.name}: AF_XDP not used on ${p.iface} (${p.fallbackReason}); ${p.driver} instead\n`);
    }
    process.stdout.write(`fulcrum: ${res.note}\n`);
    writer = new ConfigWriter({
      appliance: app,
      initial: cfg,
      stateFile: res.stateFile,
      validate: vopts,
      onApplied: (c, reason) => {
        process.stdout.write(`fulcrum: applied: ${reason}\n`);
        health.update(c);
        haUpdate(c);
      },
      effective: health.effective,
    });
    // From --config: make it the last applied config right away.
    if (res.source === 'config') await writer.persist();
    // VRRP state from the twins, and the sync daemons, before the API serves.
    await ha.update(cfg);
    // Prometheus: GET /metrics on the API listener; the health manager is
    // attached with metrics.setHealth() (anything with snapshot()).
    const metrics = buildMetrics({ appliance: app, writer });
    started = await startApi({ writer, appliance: app, config: cfg, metrics, health, ha });
    api = started.app;
    process.stdout.write(`fulcrum: api listening on ${started.url}\n`);
    metrics.setHealth(health);
    health.update(writer.current());
    process.stdout.write(`fulcrum: health: checking ${health.snapshot().length} real server(s)\n`);
  } catch (e) {
    process.stderr.write(`fulcrum: ${oneLine(e)}\n`);
    try {
      health.stop();
      await api?.close();
      await ha.stop();
      app.stop();
    } catch {
      /* already failing; the first error is the one that matters */
    }
    process.exit(1);
  }

  // DPDK lcores are not libuv handles: without this Node would exit at once.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  let stopping = false;
  const shutdown = async (sig: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    clearInterval(keepAlive);
    try {
      // API first: no change may reach a dataplane that is going away.
      await api?.close();
    } catch (e) {
      process.stderr.write(`fulcrum: api close after ${sig}: ${oneLine(e)}\n`);
    }
    health.stop(); // no probe result may republish to a stopping dataplane
    await ha.stop();
    try {
      app.stop();
    } catch (e) {
      process.stderr.write(`fulcrum: stop after ${sig}: ${oneLine(e)}\n`);
      process.exit(1);
    }
    process.exit(0);
  };
  // SIGHUP: re-read --config and apply it through the writer; on any error
  // the running config stays. One line either way.
  const reload = async (): Promise<void> => {
    if (started?.reloadTls) {
      try {
        started.reloadTls();
        if (cfg.api.tls) process.stdout.write(`fulcrum: api certificate reloaded from ${cfg.api.tls.cert}\n`);
      } catch (e) {
        process.stderr.write(`fulcrum: api certificate reload failed, the old one stays: ${oneLine(e)}\n`);
      }
    }
    const next = loadConfig(args.config, vopts);
    try {
      if (!next.ok) throw new ConfigRejected(next.errors);
      await writer.apply(next.config, `SIGHUP reload of ${args.config}`);
    } catch (e) {
      process.stderr.write(`fulcrum: reload of ${args.config} failed, running config kept: ${oneLine(e)}\n`);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGHUP', () => void reload());
}

export const daemonCommand: CommandModule<object, DaemonArgs> = {
  command: 'daemon',
  describe: 'run the load balancer',
  builder: (y: Argv) =>
    y
      .option('config', { alias: 'c', type: 'string', requiresArg: true, describe: 'config file (JSON or YAML)' })
      .option('state', { type: 'string', requiresArg: true, describe: 'state file: the last applied config (default: config stateFile, else /var/lib/fulcrum/state.json)' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'print EAL args and plan as JSON, start nothing' })
      // Checked after the options, so that a mistyped option is named first.
      .check(requireOptions('config')) as unknown as Argv<DaemonArgs>,
  handler: async (argv) => {
    await runDaemon({ config: argv.config, dryRun: argv['dry-run'], ...(argv.state !== undefined ? { state: argv.state } : {}) });
  },
};
