// `npm run bench:restart` (root; not a test): FULLNAT under connection churn
// (wrk, Connection: close) through more than one LIP's port space, then
// `kill -9` of the director, a restart, and the churn again: connections/s
// before and in the first 5 s after the restart, and what the real servers
// and the client counted meanwhile (TIME_WAIT PAWS rejections, SYN
// retransmissions). Prints figures only.
import { deepMerge, standardDirectorConfig } from '../lib/netns';
import { startNginxServers } from '../lib/nginx';
import { pawsRejections, synRetransmissions, wrk } from '../lib/load';
import { onRealServers, startStandardDirector } from '../lib/standard-director';

const VIP = '198.18.0.100';
const CHURN_S = Number(process.env.BENCH_CHURN_S ?? 8);


async function main(): Promise<void> {
  const sd = await startStandardDirector({
    suite: 'bench-restart',
    config: deepMerge(standardDirectorConfig(), {
      lipPools: { default: ['198.19.0.2'] },
      services: [{ protocol: 'tcp', vip: VIP, port: 80, scheduler: 'rr', lipPool: 'default',
        servers: ['198.19.0.11', '198.19.0.12', '198.19.0.13'].map((a) => ({ address: a, port: 80, weight: 1, method: 'fullnat' })) }],
    }),
    prepare: (st, work) => startNginxServers(st, work),
    listeners: onRealServers(3, [80]),
  });
  const topo = sd.st.topo;
  const rsPaws = (): Promise<number> => pawsRejections(topo, ['rs1', 'rs2', 'rs3']);
  const synRetrans = (): Promise<number> => synRetransmissions(topo, 'cli');
  const churn = async (secs: number): Promise<number> =>
    (await wrk(topo, 'cli', `http://${VIP}/`, secs, { close: true }))?.requestsPerSec ?? 0;
  try {
    const pawsA = await rsPaws(), synA = await synRetrans();
    const before = await churn(CHURN_S);
    console.log(`churn before: ${before.toFixed(0)} connections/s for ${CHURN_S} s (${(before * CHURN_S).toFixed(0)} connections; one LIP has 64512 ports); ` +
      `meanwhile TcpExtPAWSTimewait +${(await rsPaws()) - pawsA}, TcpExtTCPSynRetrans +${(await synRetrans()) - synA}`);
    const paws0 = await rsPaws(), syn0 = await synRetrans();
    if (process.env.BENCH_CAPTURE) {
      const c = topo.spawn('rs1', 'tcpdump', ['-ni', 'eth0', '-c', '10', '-v', 'tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack == 0']);
      await churn(1);
      await c.stop();
      console.log('before:\n' + c.stdout().split('\n').filter((l) => /TS val/.test(l)).slice(0, 5).join('\n'));
    }
    const t0 = Date.now();
    process.kill(sd.director.pid!, 'SIGKILL');
    await sd.director.exited;
    sd.director = await sd.st.startDirector(sd.cfgPath);
    console.log(`kill -9 and restart: up again after ${Date.now() - t0} ms`);
    const cap = process.env.BENCH_CAPTURE ? topo.spawn('rs1', 'tcpdump', ['-ni', 'eth0', '-c', '40', '-v', 'tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack == 0']) : undefined;
    const after5 = await churn(5);
    if (cap) { await cap.stop(); console.log(cap.stdout().split('\n').filter((l) => /TS val/.test(l)).slice(0, 10).join('\n')); }
    const paws1 = await rsPaws(), syn1 = await synRetrans();
    console.log(`first 5 s after the restart: ${after5.toFixed(0)} connections/s; real servers' TcpExtPAWSTimewait +${paws1 - paws0}; client's TcpExtTCPSynRetrans +${syn1 - syn0}`);
  } finally {
    await sd.stop();
  }
}

void main();
