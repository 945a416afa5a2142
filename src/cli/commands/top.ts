// `fulcrum top [--api URL] [--interval 1] [--count N]`: a live view of a
// director (src/top): every service and real server with connections,
// packets and bytes per second, active and inactive connections, weight and
// health, and the drops by reason; plain lines when stdout is not a terminal.
import type { Argv, CommandModule } from 'yargs';
import { DEFAULT_API } from '../../ipvsadm/client';
import { clientFromEnv } from '../../ipvsadm/https';
import { runTop } from '../../top/run';

interface TopArgs {
  api?: string;
  interval: number;
  count?: number;
}

export const topCommand: CommandModule<object, TopArgs> = {
  command: 'top',
  describe: 'live view of a director: per service and real server rates, connections, weight, health; drops',
  builder: (y: Argv<object>) =>
    y
      .option('api', { type: 'string', requiresArg: true, describe: `Fulcrum API (default $FULCRUM_API or ${DEFAULT_API}; token from $FULCRUM_API_TOKEN, CA from $FULCRUM_API_CA)` })
      .option('interval', { type: 'number', default: 1, describe: 'seconds between refreshes (at least 0.2)' })
      .option('count', { type: 'number', describe: 'stop after this many refreshes' })
      .check((a) => {
        if (!(a.interval >= 0.2)) throw new Error('--interval must be at least 0.2 (seconds)');
        if (a.count !== undefined && !(Number.isInteger(a.count) && a.count >= 1)) throw new Error('--count must be a whole number >= 1');
        return true;
      }) as Argv<TopArgs>,
  handler: async (argv) => {
    const client = clientFromEnv(argv.api, process.env);
    const stop = new AbortController();
    for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => stop.abort());
    await runTop({
      client, intervalMs: argv.interval * 1000, tty: Boolean(process.stdout.isTTY), signal: stop.signal,
      ...(argv.count !== undefined ? { count: argv.count } : {}),
      write: (s) => process.stdout.write(s), warn: (s) => process.stderr.write(`${s}\n`),
    });
  },
};
