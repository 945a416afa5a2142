// `fulcrum announce [--api URL] [--interval 1] [--next-hop self] [--disable FILE] [--once]`:
// the VIPs this director should draw traffic for, as ExaBGP process-API
// commands on stdout (src/bgp/announce.ts). Run it from ExaBGP:
//   process fulcrum { run /usr/bin/fulcrum announce; encoder text; }
import type { Argv, CommandModule } from 'yargs';
import { announcementLines, isDrained, observe, runAnnouncer } from '../../bgp/announce';
import { DEFAULT_API } from '../../ipvsadm/client';
import { clientFromEnv } from '../../ipvsadm/https';

interface AnnounceArgs {
  api?: string;
  interval: number;
  'next-hop': string;
  once: boolean;
  disable?: string;
}

export const announceCommand: CommandModule<object, AnnounceArgs> = {
  command: 'announce',
  describe: 'print ExaBGP announce/withdraw commands for the VIPs this director can serve',
  builder: (y: Argv<object>) =>
    y
      .option('api', { type: 'string', describe: `Fulcrum API (default $FULCRUM_API or ${DEFAULT_API}; token from $FULCRUM_API_TOKEN)` })
      .option('interval', { type: 'number', default: 1, describe: 'seconds between two looks at the API (at least 0.1)' })
      .option('next-hop', { type: 'string', default: 'self', describe: 'next hop of the announced /32s' })
      .option('disable', { type: 'string', describe: 'withdraw every VIP while this file exists (drain the director)' })
      .option('once', { type: 'boolean', default: false, describe: 'print the announcements for now and exit' })
      .check((a) => {
        if (!(a.interval >= 0.1)) throw new Error('--interval must be at least 0.1 (seconds)');
        if (!/^(self|\d{1,3}(\.\d{1,3}){3})$/.test(String(a['next-hop']))) throw new Error('--next-hop must be "self" or an IPv4 address');
        return true;
      }) as Argv<AnnounceArgs>,
  handler: async (argv) => {
    const client = clientFromEnv(argv.api, process.env);
    if (argv.once) {
      if (isDrained(argv.disable)) return;
      const now = await observe(client);
      if (now.error) {
        process.stderr.write(`fulcrum announce: ${now.error}\n`);
        process.exitCode = 1;
        return;
      }
      for (const l of announcementLines(new Set(), now.vips, argv['next-hop'])) process.stdout.write(`${l}\n`);
      return;
    }
    const stop = new AbortController();
    for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => stop.abort());
    await runAnnouncer({
      client,
      intervalMs: argv.interval * 1000,
      nextHop: argv['next-hop'],
      disableFile: argv.disable,
      emit: (l) => process.stdout.write(`${l}\n`),
      log: (l) => process.stderr.write(`${l}\n`),
      signal: stop.signal,
    });
  },
};
