// `fulcrum doctor [--config F]`: what this host lacks to run the config
// (src/host/doctor.ts), one line per check; exit 1 if any check fails, so
// that provisioning can stop on it. With a running daemon (--api), the
// ports' link state as the dataplane sees it.
import type { Argv, CommandModule } from 'yargs';
import { configOrExit } from './load-config';
import { probeHost } from '../../dataplane/eal';
import { doctor, formatChecks, type Check } from '../../host/doctor';

interface DoctorArgs {
  config: string;
  api?: string;
}

async function linkChecks(api: string): Promise<Check[]> {
  try {
    const res = await fetch(`${api.replace(/\/$/, '')}/api/v1/ports`, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) return [{ what: 'daemon', status: 'warn', detail: `${api}: HTTP ${res.status}` }];
    const ports = (await res.json()) as { name: string; driver: string; linkUp: boolean }[];
    return ports.map((p) => ({ what: `link ${p.name}`, status: p.linkUp ? 'ok' as const : 'warn' as const, detail: `${p.driver}: ${p.linkUp ? 'up' : 'down'}` }));
  } catch (e) {
    return [{ what: 'daemon', status: 'warn', detail: `${api}: not answering (${(e as Error).message}); link state unknown` }];
  }
}

export const doctorCommand: CommandModule<object, DoctorArgs> = {
  command: 'doctor',
  describe: 'check this host for what the config needs: hugepages, IOMMU, bound NICs, NUMA placement, isolated worker cores, link state',
  builder: (y: Argv<object>) =>
    y
      .option('config', { alias: 'c', type: 'string', requiresArg: true, default: '/etc/fulcrum/fulcrum.json', describe: 'the Fulcrum config (JSON or YAML)' })
      .option('api', { type: 'string', requiresArg: true, describe: 'a running daemon\'s API, for link state (e.g. http://127.0.0.1:9180)' }) as Argv<DoctorArgs>,
  handler: async (argv) => {
    const config = configOrExit(argv.config, 2);
    if (!config) return;
    const checks = doctor(config, probeHost());
    if (argv.api) checks.push(...(await linkChecks(argv.api)));
    for (const line of formatChecks(checks)) process.stdout.write(`${line}\n`);
    const failed = checks.filter((c) => c.status === 'fail').length;
    const warned = checks.filter((c) => c.status === 'warn').length;
    process.stdout.write(`${failed} failed, ${warned} warnings, ${checks.length - failed - warned} ok\n`);
    if (failed) process.exitCode = 1;
  },
};
