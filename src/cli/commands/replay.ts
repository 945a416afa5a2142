// `fulcrum replay --config CFG --in PORT=FILE.pcap ... [--out OUT.pcap] [--json]`:
// a dry run of a config against real traffic. The captured frames (as the
// director's ports received them: tcpdump -Q in) go through the real fast
// path in this process, on ring ports with no NIC; it prints, per flow, the
// service, the server chosen, the method, the LIP:lport and the drops, and
// writes what the director sent to OUT.pcap.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { requireOptions } from './require';
import { configOrExit } from './load-config';
import { readPcap, writePcap } from '../../replay/pcap';
import { formatFlow, replay, type ReplayInput } from '../../replay/run';

interface ReplayArgs {
  config: string;
  in: string[];
  out?: string;
  json: boolean;
}

export const replayCommand: CommandModule<object, ReplayArgs> = {
  command: 'replay',
  describe: 'run captured traffic through the real fast path under a config, offline: per flow service, server, method, drops; translated packets to a pcap',
  builder: (y: Argv<object>) =>
    y
      .option('config', { alias: 'c', type: 'string', requiresArg: true, describe: 'the Fulcrum config to run (JSON or YAML)' })
      .option('in', { type: 'string', array: true, requiresArg: true, describe: 'PORT=FILE.pcap: frames the port named PORT received (repeat per port)' })
      .option('out', { alias: 'o', type: 'string', requiresArg: true, describe: 'write every frame the director sent here (pcap)' })
      .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON' })
      .check(requireOptions('config', 'in'))
      .check((a) => {
        for (const x of a.in as string[]) if (!/^[^=]+=.+$/.test(x)) throw new Error(`--in ${x}: expected PORT=FILE.pcap`);
        return true;
      }) as Argv<ReplayArgs>,
  handler: async (argv) => {
    const config = configOrExit(argv.config, 1);
    if (!config) return;
    const inputs: ReplayInput[] = [];
    for (const spec of argv.in) {
      const i = spec.indexOf('=');
      const port = spec.slice(0, i);
      const file = spec.slice(i + 1);
      const names = config.ports.map((x) => x.name);
      if (!names.includes(port)) throw new Error(`--in ${spec}: no port "${port}" in the config (ports: ${names.join(', ')})`);
      let buf: Buffer;
      try {
        buf = readFileSync(file);
      } catch (e) {
        throw new Error(`--in ${spec}: cannot read ${file}: ${(e as Error).message}`);
      }
      const p = readPcap(buf, file);
      inputs.push({ port, linkType: p.linkType, records: p.records });
    }
    const r = await replay({ config: config, inputs });
    if (argv.out) writeFileSync(argv.out, writePcap(r.output));
    if (argv.json) {
      process.stdout.write(`${JSON.stringify({ flows: r.flows, other: r.other, sent: r.output.length, neighboursLearned: r.neighboursLearned }, null, 2)}\n`);
      return;
    }
    for (const f of r.flows) process.stdout.write(`${formatFlow(f)}\n`);
    const od = Object.entries(r.other.drops).map(([k, n]) => `${k}=${n}`).join(',') || 'none';
    process.stdout.write(`other frames: ${r.other.frames} (sent ${r.other.sent}, drops ${od}); ${r.flows.length} flow(s), ${r.output.length} frame(s) sent${argv.out ? ` -> ${argv.out}` : ''}\n`);
  },
};
