// `fulcrum explain [--api URL] [--json] tcp|udp CLIENT:PORT VIP:PORT`: ask a
// director why a client lands where it does (GET /api/v1/explain): the
// service that matches, an existing session or persistence template, the
// scheduler's pick and its inputs, the LIP:lport, the method and the egress.
// Changes nothing on the director.
import type { Argv, CommandModule } from 'yargs';
import { DEFAULT_API } from '../../ipvsadm/client';
import { clientFromEnv } from '../../ipvsadm/https';
import type { Explanation } from '../../lb/explain';

interface ExplainArgs {
  api?: string;
  json: boolean;
  proto: string;
  src: string;
  dst: string;
}

const ENDPOINT = /^\d{1,3}(\.\d{1,3}){3}:\d{1,5}$/;

/** The explanation as an operator reads it: the reasons, then the servers the scheduler saw. */
export function formatExplanation(e: Explanation): string {
  const lines = [`${e.query.protocol} ${e.query.client} -> ${e.query.destination}`];
  for (const r of e.reasons) lines.push(`  - ${r}`);
  const d = e.decision;
  lines.push(`  => ${d.server ? `${d.server} (by ${d.by})` : 'not load-balanced'}${e.method ? `, ${e.method}` : ''}${e.replyTo ? `, replies to ${e.replyTo}` : ''}${e.egress ? `, out ${e.egress.port} via ${e.egress.nextHop}` : ''}`);
  if (e.scheduler && e.scheduler.servers.length) {
    lines.push('  servers as the scheduler sees them:');
    lines.push(`    ${'server'.padEnd(22)} ${'weight'.padStart(6)} ${'active'.padStart(8)} ${'inactive'.padStart(8)}  state`);
    for (const s of e.scheduler.servers as { server: string; weight: number; active: number; inactive: number; available: boolean; overloaded: boolean }[]) {
      const state = !s.available ? 'unavailable' : s.overloaded ? 'overloaded' : s.weight === 0 ? 'quiesced' : 'ok';
      lines.push(`    ${s.server.padEnd(22)} ${String(s.weight).padStart(6)} ${String(s.active).padStart(8)} ${String(s.inactive).padStart(8)}  ${state}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export const explainCommand: CommandModule<object, ExplainArgs> = {
  command: 'explain <proto> <src> <dst>',
  describe: 'why a client lands where it does: service, session, template, scheduler pick, LIP:lport, method, egress (changes nothing)',
  builder: (y: Argv<object>) =>
    y
      .positional('proto', { type: 'string', choices: ['tcp', 'udp'], describe: 'protocol' })
      .positional('src', { type: 'string', describe: "the client's address:port" })
      .positional('dst', { type: 'string', describe: 'the VIP:port it connects to' })
      .option('api', { type: 'string', requiresArg: true, describe: `Fulcrum API (default $FULCRUM_API or ${DEFAULT_API}; token from $FULCRUM_API_TOKEN, CA from $FULCRUM_API_CA)` })
      .option('json', { type: 'boolean', default: false, describe: 'print the API answer as JSON' })
      .check((a) => {
        for (const k of ['src', 'dst'] as const) {
          if (!ENDPOINT.test(String(a[k]))) throw new Error(`${k}: "${String(a[k])}" is not address:port (e.g. 198.18.0.10:40000)`);
        }
        return true;
      }) as Argv<ExplainArgs>,
  handler: async (argv) => {
    const client = clientFromEnv(argv.api, process.env);
    const e = await client.explain(argv.proto as 'tcp' | 'udp', argv.src, argv.dst);
    process.stdout.write(argv.json ? `${JSON.stringify(e, null, 2)}\n` : formatExplanation(e));
  },
};
