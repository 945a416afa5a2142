// End-to-end: FULLNAT under connection churn through more than a LIP's port
// space, then `kill -9` of the director and a restart under the same churn.
// Real servers (nginx, closing first: they hold every LIP:lport pair in
// TIME_WAIT for 60 s) must never reject a SYN on a reused pair by PAWS, and
// the client must not have to retransmit SYNs: the director sends client
// TSvals on its own wall clock (dataplane.rewriteTimestamps), so a reused
// pair always brings a newer one, in steady state and after the restart.
// Without it this very setup counted TcpExtPAWSTimewait +1615 in 16 s of
// churn and 70 connections/s after a restart (README, Known gaps history).
//
// Needs root; without root it skips loudly.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deepMerge, skipUnlessRoot, standardDirectorConfig } from '../lib/netns';
import { startNginxServers } from '../lib/nginx';
import { pawsRejections, synRetransmissions, wrk } from '../lib/load';
import { onRealServers, startStandardDirector, type StandardDirector } from '../lib/standard-director';

const SKIP = skipUnlessRoot();
if (SKIP) process.stderr.write(`\n!!!!!!!! e2e/restart-churn SKIPPED: ${SKIP} !!!!!!!!\n\n`);

const VIP = '198.18.0.100';
const PORTS_PER_LIP = 64512;
const log = (m: string): void => void process.stderr.write(`[restart-churn] ${m}\n`);


describe('e2e restart under churn: no LIP:lport pair fails PAWS on the real servers', { skip: SKIP }, () => {
  let sd: StandardDirector | undefined;
  const paws = (): Promise<number> => pawsRejections(sd!.st.topo, ['rs1', 'rs2', 'rs3']);
  const synRetrans = (): Promise<number> => synRetransmissions(sd!.st.topo, 'cli');
  /** wrk with Connection: close; the connections it completed. */
  const churn = async (secs: number): Promise<number> => {
    const r = await wrk(sd!.st.topo, 'cli', `http://${VIP}/`, secs, { close: true });
    assert.ok(r, 'wrk printed no result');
    return r.requests;
  };

  before(async () => {
    sd = await startStandardDirector({
      suite: 'restart-churn',
      config: deepMerge(standardDirectorConfig(), {
        lipPools: { default: ['198.19.0.2'] },
        services: [{ protocol: 'tcp', vip: VIP, port: 80, scheduler: 'rr', lipPool: 'default',
          servers: ['198.19.0.11', '198.19.0.12', '198.19.0.13'].map((a) => ({ address: a, port: 80, weight: 1, method: 'fullnat' })) }],
      }),
      prepare: (st, work) => startNginxServers(st, work),
      listeners: onRealServers(3, [80]),
    });
  }, { timeout: 120_000 });

  after(async () => {
    await sd?.stop();
  }, { timeout: 60_000 });

  test('churn through more than the port space, kill -9, restart, churn again', { timeout: 180_000 }, async () => {
    const p0 = await paws(), s0 = await synRetrans();
    let total = 0, secs = 0;
    const t0 = Date.now();
    while (total <= PORTS_PER_LIP * 1.1 && Date.now() - t0 < 60_000) {
      total += await churn(4);
      secs += 4;
    }
    const p1 = await paws(), s1 = await synRetrans();
    log(`churn: ${total} connections in ${secs} s (${(total / secs).toFixed(0)}/s); PAWS rejections +${p1 - p0}, client SYN retransmissions +${s1 - s0}`);
    assert.ok(total > PORTS_PER_LIP, `only ${total} connections in ${secs} s: not through the LIP's ${PORTS_PER_LIP} ports`);
    const k0 = Date.now();
    process.kill(sd!.director.pid!, 'SIGKILL');
    await sd!.director.exited;
    sd!.director = await sd!.st.startDirector(sd!.cfgPath);
    const up = Date.now() - k0;
    const after5 = await churn(5);
    const p2 = await paws(), s2 = await synRetrans();
    log(`kill -9 and restart: up in ${up} ms; first 5 s: ${(after5 / 5).toFixed(0)} connections/s; PAWS rejections +${p2 - p1}, client SYN retransmissions +${s2 - s1}`);
    assert.equal(p1 - p0, 0, 'PAWS rejections on the real servers during the churn');
    assert.equal(p2 - p1, 0, 'PAWS rejections on the real servers after the restart');
    // The restart itself may cost the connections open at the kill a SYN
    // retransmission each (32 at most); nothing beyond that.
    assert.ok(s1 - s0 <= 32, `client SYN retransmissions during the churn: ${s1 - s0}`);
    assert.ok(s2 - s1 <= 64, `client SYN retransmissions around the restart: ${s2 - s1}`);
  });
});
