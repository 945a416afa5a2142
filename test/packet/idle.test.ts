// Idle-aware polling (native/fastpath/idle.c): an idle worker naps, each nap
// longer up to dataplane.idleSleepUs and never longer, and the first packet
// after the naps is answered. Checked on the worker's own counters (naps and
// the microseconds they asked for) around an idle second, then an ICMP echo.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { arpReplyFrame, icmpEchoFrame, parseFrame } from '../lib/packet';
import { startRingDataplane, type RingDataplane } from '../lib/dataplane';

const CAP_US = 400;
const DIP = '198.18.0.1';
const CLIENT = { ip: '198.18.0.10', mac: '02:00:00:00:00:10' };
let dp: RingDataplane;

const worker = () => dp.stats().workers.find((w) => w.role === 'worker')!;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

before(async () => {
  dp = startRingDataplane({
    workers: 1, idleSleepUs: CAP_US,
    addrs: [{ ip: DIP, prefix: 24, role: 'dip', port: 0 }],
    routes: [{ prefix: '198.18.0.0', len: 24, port: 0, gateway: null }],
  });
  dp.inject(0, [arpReplyFrame({ srcMac: CLIENT.mac, srcIp: CLIENT.ip, dstMac: dp.mac(0), dstIp: DIP, pad: true })]);
  assert.ok(await dp.waitNeighbours([CLIENT.ip], 2000));
  await dp.collect(0, { timeoutMs: 200 });
});

after(() => dp?.stop());

test('an idle second: the worker naps, its naps grow to the cap and never beyond, and it loops far less than a busy poller', async () => {
  const a = worker();
  await sleep(1000);
  const b = worker();
  const naps = b.idleNaps - a.idleNaps;
  const us = b.idleNapUs - a.idleNapUs;
  const loops = b.loops - a.loops;
  assert.ok(naps > 100, `naps in an idle second: ${naps}`);
  assert.ok(us <= naps * CAP_US, `no nap above ${CAP_US} us: ${us} us in ${naps} naps`);
  assert.ok(us / naps > CAP_US * 0.9, `idle naps are at the cap: ${(us / naps).toFixed(0)} us on average`);
  // One loop a nap, give or take: a busy poller runs millions a second.
  assert.ok(loops < naps * 2 + 1000, `${loops} loops for ${naps} naps`);
});

test('the first packet after the naps is answered', async () => {
  await sleep(200);
  dp.flush();
  dp.inject(0, [icmpEchoFrame({ srcMac: CLIENT.mac, dstMac: dp.mac(0), src: CLIENT.ip, dst: DIP, id: 7, seq: 1, data: Buffer.alloc(16, 1) })]);
  const got = await dp.collect(0, { count: 1, timeoutMs: 2000 });
  assert.equal(got.length, 1, 'an echo reply');
  assert.equal(parseFrame(got[0]!.frame).ipv4?.dst, CLIENT.ip);
});
