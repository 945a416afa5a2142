// High availability, the control plane's pure parts: the ha config and its
// semantic checks, floating addresses (twin setup, the plan's standby flag,
// the VRRP watcher's verdict), and fulcrumadm's sync daemon commands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../src/config/validate';
import type { FulcrumConfig } from '../../src/config/types';
import { planAddrs } from '../../src/dataplane/plan';
import { twinCommands } from '../../src/dataplane/twin';
import { floatingAddresses, syncEndpoint } from '../../src/ha/config';
import { standbySet, VrrpWatcher } from '../../src/ha/vrrp';
import { isParseError, parseIpvsadm, type ParsedCommand } from '../../src/ipvsadm/parse';
import { formatDaemons } from '../../src/ipvsadm/format';

function raw(ha: object = {}): Record<string, any> {
  return {
    dataplane: { workers: [1] },
    ports: [
      { name: 'lan', device: 'net_af_packet0,iface=veth0', addresses: [
        { ip: '198.18.0.1/24', role: 'dip' }, { ip: '198.18.0.100/32', role: 'vip' }] },
      { name: 'rs', device: 'net_af_packet1,iface=veth1', addresses: [
        { ip: '198.19.0.1/24', role: 'dip' }, { ip: '198.19.0.2/24', role: 'lip' }] },
    ],
    lipPools: { default: ['198.19.0.2'] },
    services: [{ protocol: 'tcp', vip: '198.18.0.100', port: 80, servers: [{ address: '198.19.0.11', port: 80, method: 'fullnat' }] }],
    ha,
  };
}

function ok(r: Record<string, any>): FulcrumConfig {
  const v = validateConfig(r);
  assert.ok(v.ok, JSON.stringify(!v.ok && v.errors));
  return v.config;
}

function errors(r: Record<string, any>): string[] {
  const v = validateConfig(r);
  assert.equal(v.ok, false);
  return v.ok ? [] : v.errors.map((e) => `${e.path}: ${e.message}`);
}

test('ha.sync: IPVS defaults, and an interface named by port or twin', () => {
  const c = ok(raw({ sync: { master: { interface: 'lan', syncId: 7 }, backup: { interface: 'fl-lan' } } }));
  assert.deepEqual(c.ha.sync.master, { interface: 'lan', syncId: 7, maxLen: 1472, group: '224.0.0.81', port: 8848, ttl: 1, peers: [] });
  assert.equal(c.ha.sync.threshold, 3);
  assert.equal(c.ha.sync.period, 50);
  assert.deepEqual(syncEndpoint(c, 'fl-lan'), { port: 'lan', twin: 'fl-lan', ip: '198.18.0.1' });
  assert.deepEqual(ok(raw()).ha.sync, { threshold: 3, period: 50, refreshPeriod: 0, flushMs: 20 });
});

test('ha.sync: a missing port, a port without twin, a message over the MTU, threshold >= period', () => {
  assert.match(errors(raw({ sync: { master: { interface: 'eth9' } } })).join(), /ha\.sync\.master\.interface: eth9 names no port/);
  const noTwin = raw({ sync: { backup: { interface: 'rs' } } });
  noTwin.ports[1].twin = false;
  assert.match(errors(noTwin).join(), /ha\.sync\.backup\.interface: rs port rs has no kernel twin/);
  assert.match(errors(raw({ sync: { master: { interface: 'lan', maxLen: 1500 } } })).join(), /maxLen: 1500 does not fit the MTU of port lan/);
  assert.match(errors(raw({ sync: { threshold: 50, period: 50 } })).join(), /ha\.sync\.threshold: must be below ha\.sync\.period/);
  assert.match(errors(raw({ sync: { master: { interface: 'lan', syncId: 256 } } })).join(), /syncId/);
  assert.match(errors(raw({ sync: { master: { interface: 'lan', bogus: 1 } } })).join(), /bogus/);
});

test('ha.vrrp: floating VIPs and LIPs are kept off the twins and planned on standby', () => {
  const c = ok(raw({ vrrp: {} }));
  assert.deepEqual(floatingAddresses(c).map((a) => `${a.role} ${a.ip} ${a.twin}`), ['vip 198.18.0.100 fl-lan', 'lip 198.19.0.2 fl-rs']);
  const added = twinCommands(c).filter((x) => x.args[0] === 'addr').map((x) => x.args[2]);
  assert.deepEqual(added, ['198.18.0.1/24', '198.19.0.1/24'], 'only the DIPs: keepalived owns the rest');
  const addrs = planAddrs(c, new Set(['198.18.0.100']));
  assert.equal(addrs.find((a) => a.ip === '198.18.0.100')?.standby, true);
  assert.equal(addrs.find((a) => a.ip === '198.19.0.2')?.standby, undefined);
  // Without ha.vrrp nothing floats and the twins get every address.
  const plain = ok(raw());
  assert.equal(floatingAddresses(plain).length, 0);
  assert.equal(twinCommands(plain).filter((x) => x.args[0] === 'addr').length, 4);
  // Only VIPs float when told so.
  assert.deepEqual(floatingAddresses(ok(raw({ vrrp: { floating: ['vip'] } }))).map((a) => a.ip), ['198.18.0.100']);
  const noTwin = raw({ vrrp: {} });
  noTwin.ports[1].twin = false;
  assert.match(errors(noTwin).join(), /floating address 198\.19\.0\.2 is on port rs, which has no kernel twin/);
});

test('the VRRP watcher: a floating address is served exactly while its twin has it', () => {
  const c = ok(raw({ vrrp: {} }));
  const onTwin: Record<string, string[]> = { 'fl-lan': ['198.18.0.1'], 'fl-rs': ['198.19.0.1'] };
  assert.deepEqual([...standbySet(floatingAddresses(c), (d) => new Set(onTwin[d]))].sort(), ['198.18.0.100', '198.19.0.2']);
  const seen: string[][] = [];
  const w = new VrrpWatcher((s) => seen.push([...s].sort()), { read: (d) => onTwin[d] ?? [] });
  // update() would start `ip monitor`; drive refresh() by hand instead.
  (w as unknown as { floating: unknown }).floating = floatingAddresses(c);
  w.refresh();
  onTwin['fl-lan']!.push('198.18.0.100');
  w.refresh();
  w.refresh(); // no change: no call
  onTwin['fl-rs']!.push('198.19.0.2');
  w.refresh();
  onTwin['fl-lan'] = ['198.18.0.1'];
  w.refresh();
  assert.deepEqual(seen, [['198.18.0.100', '198.19.0.2'], ['198.19.0.2'], [], ['198.18.0.100']]);
  assert.deepEqual(w.status().map((s) => `${s.ip} ${s.master}`), ['198.18.0.100 false', '198.19.0.2 true']);
});

test('VRRP watcher: a first reading with every floating address already on its twin is reported (the appliance starts all standby)', () => {
  const c = ok(raw({ vrrp: {} }));
  const onTwin: Record<string, string[]> = { 'fl-lan': ['198.18.0.1', '198.18.0.100'], 'fl-rs': ['198.19.0.1', '198.19.0.2'] };
  const seen: string[][] = [];
  const w = new VrrpWatcher((s) => seen.push([...s]), { read: (d) => onTwin[d] ?? [] });
  (w as unknown as { floating: unknown }).floating = floatingAddresses(c);
  assert.deepEqual(w.status().map((s) => s.master), [false, false], 'nothing read yet: nothing served');
  w.refresh();
  assert.deepEqual(seen, [[]]);
  assert.deepEqual(w.status().map((s) => s.master), [true, true]);
});

function parsed(argv: string[]): ParsedCommand {
  const r = parseIpvsadm(argv);
  assert.ok(!isParseError(r), isParseError(r) ? r.message : '');
  return r as ParsedCommand;
}

function parseFails(argv: string[], re: RegExp): void {
  const r = parseIpvsadm(argv);
  assert.ok(isParseError(r), `${argv.join(' ')} should fail`);
  assert.match((r as { message: string }).message, re);
}

test('fulcrumadm --start-daemon / --stop-daemon parse as ipvsadm', () => {
  const p = parsed(['--start-daemon', 'backup', '--mcast-interface', 'fl-lan', '--syncid', '9', '--mcast-group', '224.0.0.82',
    '--mcast-port', '8849', '--mcast-ttl', '2', '--sync-maxlen', '1200']);
  assert.equal(p.cmd, 'start-daemon');
  assert.deepEqual(p.daemon, { state: 'backup', interface: 'fl-lan', syncId: 9, group: '224.0.0.82', port: 8849, ttl: 2, maxLen: 1200 });
  assert.deepEqual(parsed(['--stop-daemon', 'master']).daemon, { state: 'master' });
  parseFails(['--start-daemon', 'primary', '--mcast-interface', 'lan'], /illegal start-daemon parameter specified/);
  parseFails(['--start-daemon', 'master'], /--mcast-interface is required/);
  parseFails(['--start-daemon', 'master', '--mcast-interface', 'lan', '--syncid', '256'], /illegal syncid specified/);
  parseFails(['--start-daemon', 'master', '--mcast-interface', 'lan', '--mcast-group', '198.18.0.1'], /invalid mcast-group specified/);
  parseFails(['--start-daemon', 'master', '--mcast-interface', 'lan', '--mcast-port', '0'], /illegal mcast-port specified/);
  parseFails(['--stop-daemon', 'master', '--mcast-interface', 'lan'], /Illegal 'mcast-interface' option with the 'stop-daemon' command/);
  parseFails(['-A', '-t', '198.18.0.100:80', '--syncid', '1'], /Illegal 'syncid' option/);
});

test('fulcrumadm -L --daemon prints master then backup', () => {
  const d = { interface: 'fl-lan', syncId: 7, maxLen: 1472, group: '224.0.0.81', port: 8848, ttl: 1 };
  assert.equal(formatDaemons([{ state: 'backup', ...d, syncId: 0 }, { state: 'master', ...d }]),
    'master sync daemon (mcast=fl-lan, syncid=7, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n' +
    'backup sync daemon (mcast=fl-lan, syncid=0, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n');
  assert.equal(formatDaemons([]), '');
});
