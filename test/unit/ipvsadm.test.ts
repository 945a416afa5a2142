// fulcrumadm: ipvsadm 1.31 grammar, config operations, byte-exact output
// against fixtures rendered from ipvsadm.c's printf formats
// (test/unit/ipvsadm-fixtures/generate.py), and the HTTP round trip.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { FulcrumConfig, ServiceConfig } from '../../src/config/types';
import { validateConfig } from '../../src/config/validate';
import { applyIpvsadm, applyRestore, type IpvsConfig } from '../../src/ipvsadm/apply';
import {
  formatConnections, formatLaddrs, formatList, formatSave, formatTimeout, largenum,
  normalizeSessions, normalizeStats, servicesResolver,
} from '../../src/ipvsadm/format';
import { isParseError, nssResolver, parseIpvsadm, PROGRAM, type ParsedCommand } from '../../src/ipvsadm/parse';
import { runFulcrumadm } from '../../src/ipvsadm/run';

const ROOT = join(__dirname, '..', '..', '..');
const FIX = join(ROOT, 'test', 'unit', 'ipvsadm-fixtures');
const fixture = (n: string): string => readFileSync(join(FIX, n), 'utf8');
const scenario = JSON.parse(fixture('scenario.json')) as { config: IpvsConfig; stats: unknown; sessions: unknown };

function ok(argv: string[]): ParsedCommand {
  const r = parseIpvsadm(argv);
  if (isParseError(r)) assert.fail(`${argv.join(' ')}: ${r.message}`);
  return r;
}

function apply(cfg: IpvsConfig, line: string): IpvsConfig {
  const r = applyIpvsadm(cfg, ok(line.split(' ')));
  if (!r.ok) assert.fail(`${line}: ${r.message}`);
  return r.config;
}

function applyErr(cfg: IpvsConfig, line: string): { message: string; exitCode: number } {
  const r = applyIpvsadm(cfg, ok(line.split(' ')));
  assert.equal(r.ok, false, `${line} should fail`);
  return r as { message: string; exitCode: number };
}

const empty = (): IpvsConfig => ({ services: [], timeouts: { tcp: 900, tcpFin: 120, udp: 300 }, lipPools: {} });

describe('ipvsadm parser', () => {
  it('IPv6 service and server addresses as ipvsadm 1.31 parse_service() reads them', () => {
    const a = ok(['-A', '-t', '[2001:2::100]:80', '-s', 'rr']);
    assert.deepEqual(a.service, { protocol: 'tcp', vip: '2001:2::100', port: 80 });
    // inet_pton then inet_ntop: the config keeps the canonical text.
    const b = ok(['-a', '-u', '[2001:0002:0000::0100]:53', '-r', '[2001:2:1::11]:5353', '--fullnat']);
    assert.deepEqual([b.service?.vip, b.server], ['2001:2::100', { address: '2001:2:1::11', port: 5353 }]);
    // A bare IPv6 address has no port: the last group is part of the address.
    assert.deepEqual(ok(['-D', '-t', '2001:2::100:80']).service, { protocol: 'tcp', vip: '2001:2::100:80', port: 0 });
    // Brackets without a port, or unclosed, are not an address.
    for (const bad of ['[2001:2::100]', '[2001:2::100', '[2001:2::100]80']) {
      const r = parseIpvsadm(['-A', '-t', bad]);
      assert.ok(isParseError(r) && /illegal virtual server address/.test(r.message), bad);
    }
    // An IPv6 service's -M is a prefix length (1..128), and -S prints it back.
    const pm = ok(['-A', '-t', '[2001:2::100]:80', '-s', 'rr', '-p', '60', '-M', '64']);
    assert.equal(pm.prefix6, 64);
    const bad6 = parseIpvsadm(['-A', '-t', '[2001:2::100]:80', '-p', '60', '-M', '255.255.255.0']);
    assert.ok(isParseError(bad6) && /illegal ipv6 netmask specified/.test(bad6.message));
    const c6 = apply(empty(), '-A -t [2001:2::100]:80 -s rr -p 60 -M 64');
    assert.deepEqual(c6.services[0]!.persistence, { timeout: 60, netmask: '255.255.255.255', ipv6PrefixLength: 64 });
    assert.equal(formatSave(c6, true), '-A -t [2001:2::100]:80 -s rr -p 60 -M 64\n');
    // -6 names an IPv6 fwmark service, which Fulcrum does not have.
    const six = parseIpvsadm(['-A', '-f', '1', '-6']);
    assert.ok(isParseError(six));
  });

  it('combined short options', () => {
    const ln = ok(['-Ln']);
    assert.equal(ln.cmd, 'list');
    assert.equal(ln.format.numeric, true);
    const lnc = ok(['-Lnc']);
    assert.deepEqual([lnc.format.numeric, lnc.format.connection], [true, true]);
    const l = ok(['-l', '--stats', '--exact']);
    assert.deepEqual([l.cmd, l.format.stats, l.format.exact, l.format.numeric], ['list', true, true, false]);
  });

  it('add-service with scheduler, persistence, netmask, flags', () => {
    const p = ok(['-A', '-t', '198.18.0.100:80', '-s', 'sh', '-p', '300', '-M', '255.255.255.0', '-b', 'sh-port,sh-fallback']);
    assert.equal(p.cmd, 'add-service');
    assert.deepEqual(p.service, { protocol: 'tcp', vip: '198.18.0.100', port: 80 });
    assert.equal(p.scheduler, 'sh');
    assert.equal(p.persistent, 300);
    assert.equal(p.netmask, '255.255.255.0');
    assert.deepEqual(p.schedFlags, ['sh-fallback', 'sh-port']);
  });

  it('-p without a value is IPVS_SVC_PERSISTENT_TIMEOUT (360), scheduler defaults to wlc', () => {
    const p = ok(['-A', '-u', '198.18.0.101:53', '-p']);
    assert.equal(p.persistent, 360);
    assert.equal(p.scheduler, 'wlc');
    assert.equal(p.service!.protocol, 'udp');
    // -p followed by another option does not swallow it
    const q = ok(['-A', '-t', '198.18.0.100:0', '-p', '-s', 'rr']);
    assert.deepEqual([q.persistent, q.scheduler, q.service!.port], [360, 'rr', 0]);
  });

  it('long options, attached and = arguments', () => {
    const p = ok(['--add-server', '--tcp-service=198.18.0.100:80', '--real-server', '198.19.0.11:8080', '--masquerading', '--weight=3']);
    assert.equal(p.cmd, 'add-server');
    assert.deepEqual(p.server, { address: '198.19.0.11', port: 8080 });
    assert.deepEqual([p.method, p.weight], ['nat', 3]);
    const q = ok(['-a', '-t198.18.0.100:80', '-r198.19.0.11', '-m']);
    assert.deepEqual(q.server, { address: '198.19.0.11', port: 80 }, 'no port: the service port is copied');
  });

  it('add-server defaults: -g (DR), weight 1; DR/TUN force the service port', () => {
    const p = ok(['-a', '-t', '198.18.0.100:80', '-r', '198.19.0.11:8080', '-w', '3', '-x', '100', '-y', '50']);
    assert.deepEqual([p.method, p.weight, p.uThreshold, p.lThreshold], ['dr', 3, 100, 50]);
    assert.equal(p.server!.port, 80);
    assert.equal(ok(['-a', '-t', '198.18.0.100:80', '-r', '198.19.0.11:8080', '-i']).server!.port, 80);
    assert.equal(ok(['-a', '-t', '198.18.0.100:80', '-r', '198.19.0.11:8080', '--fullnat']).method, 'fullnat');
  });

  it('--set, -D, -C, -S -n, -Z, laddr commands', () => {
    assert.deepEqual(ok(['--set', '900', '0', '300']).timeouts, { tcp: 900, tcpFin: 0, udp: 300 });
    assert.equal(ok(['-D', '-t', '198.18.0.100:80']).cmd, 'delete-service');
    assert.equal(ok(['-C']).cmd, 'flush');
    assert.equal(ok(['-Sn']).format.numeric, true);
    assert.equal(ok(['-Z']).cmd, 'zero');
    assert.equal(ok(['--add-laddr', '-t', '198.18.0.100:80', '-z', '198.19.0.2']).laddr, '198.19.0.2');
    assert.equal(ok(['--get-laddr']).cmd, 'get-laddr');
    assert.equal(ok([]).cmd, 'list', 'a bare fulcrumadm lists like ipvsadm');
  });

  const errors: [string[], string, number][] = [
    [['-n', '-L'], "Try `fulcrumadm -h' or 'fulcrumadm --help' for more information.", 255],
    [['--bogus'], "Try `fulcrumadm -h' or 'fulcrumadm --help' for more information.", 255],
    [['-L', '--bogus'], '--bogus: unknown option', 255],
    [['-A', '-t'], '-t: missing argument', 255],
    [['-A', '-t', '198.18.0.100'], 'Zero port specified for non-persistent service', 2],
    [['-A', '-t', '198.18.0.300:80'], 'illegal virtual server address[:port] specified', 2],
    [['-a', '-t', '198.18.0.100:80', '-r', 'x'], 'illegal real server address[:port] specified', 2],
    [['-a', '-t', '198.18.0.100:80', '-r', '198.19.0.11', '-w', '70000'], 'illegal weight specified', 2],
    [['-a', '-t', '198.18.0.100:80', '-r', '198.19.0.11', '-x', 'lots'], 'illegal u_threshold specified', 2],
    [['-A', '-t', '198.18.0.100:80', '-p', '0'], "invalid timeout value `0' specified", 2],
    [['-A', '-t', '198.18.0.100:80', '-M', 'mask'], 'illegal virtual server persistent mask specified', 2],
    [['-A', '-t', '198.18.0.100:80', '-s', 'rr', '-b', 'sh-port'], "incompatible scheduler flag `sh-port'", 2],
    [['-A', '-t', '198.18.0.100:80', '-b', 'bogus'], "invalid scheduler flag `bogus'", 2],
    [['-a', '-t', '198.18.0.100:80'], "You need to supply the 'real-server' option for the 'add-server' command", 2],
    [['-D', '-t', '198.18.0.100:80', '-s', 'rr'], "Illegal 'scheduler' option with the 'delete-service' command", 2],
    [['-A', '-t', '198.18.0.100:80', '-t', '198.18.0.100:81'], "multiple 'service-address' options specified", 2],
    [['-L', '-A'], 'multiple commands specified', 2],
    [['-Lc', '-t', '198.18.0.100:80'], "The option 'service-address' conflicts with the 'connection' option in the 'list' command", 2],
    [['-L', '-c', '--stats'], 'options conflicts in the list command', 2],
    [['--set', '1', '2'], '--set option requires 3 timeout values', 2],
    [['-L', 'extra'], 'unexpected argument extra', 2],
    [['-A', '-f', '1'], 'fwmark-service (-f) is not supported by Fulcrum', 2],
    [['--add-laddr', '-t', '198.18.0.100:80'], "You need to supply the 'laddr' option for the 'add-laddr' command", 2],
  ];
  for (const [argv, message, code] of errors) {
    it(`error: ${argv.join(' ')}`, () => {
      const r = parseIpvsadm(argv);
      assert.ok(isParseError(r), 'expected an error');
      assert.equal(r.message, message);
      assert.equal(r.exitCode, code);
    });
  }
});

describe('applyIpvsadm', () => {
  it('adds, edits and deletes services and servers', () => {
    let c = empty();
    c = apply(c, '-A -t 198.18.0.100:80 -s rr');
    c = apply(c, '-a -t 198.18.0.100:80 -r 198.19.0.11:8080 -m -w 3');
    c = apply(c, '-a -t 198.18.0.100:80 -r 198.19.0.12 -w 0 -x 100 -y 10');
    assert.deepEqual(c.services[0], {
      protocol: 'tcp', vip: '198.18.0.100', port: 80, scheduler: 'rr', schedFlags: [], persistence: null,
      expireNodestConn: false, inhibitOnFailure: false,
      servers: [
        { address: '198.19.0.11', port: 8080, weight: 3, method: 'nat' },
        { address: '198.19.0.12', port: 80, weight: 0, method: 'dr', upperThreshold: 100, lowerThreshold: 10 },
      ],
    });
    c = apply(c, '-E -t 198.18.0.100:80 -s wlc -p 600');
    assert.deepEqual([c.services[0]!.scheduler, c.services[0]!.persistence], ['wlc', { timeout: 600, netmask: '255.255.255.255' }]);
    // -E replaces the whole service setting, as ipvs_update_service(): no -p = no persistence
    c = apply(c, '-E -t 198.18.0.100:80 -s rr');
    assert.equal(c.services[0]!.persistence, null);
    // -e sets every field: method back to -g default, weight 1 when omitted
    c = apply(c, '-e -t 198.18.0.100:80 -r 198.19.0.12:80');
    assert.deepEqual(c.services[0]!.servers[1], { address: '198.19.0.12', port: 80, weight: 1, method: 'dr' });
    c = apply(c, '-d -t 198.18.0.100:80 -r 198.19.0.11:8080');
    assert.equal(c.services[0]!.servers.length, 1);
    c = apply(c, '-D -t 198.18.0.100:80');
    assert.equal(c.services.length, 0);
  });

  it('--proxy-protocol and --toa (DPVS\'s ipvsadm): set on -A, replaced by -E, listed and saved', () => {
    let c: IpvsConfig = { ...empty(), lipPools: { default: ['198.19.0.2'] } };
    c = apply(c, '-A -t 198.18.0.100:80 -s rr --proxy-protocol v2');
    c = apply(c, '-a -t 198.18.0.100:80 -r 198.19.0.11:8080 --fullnat');
    assert.equal(c.services[0]!.proxyProtocol, 'v2');
    assert.match(formatSave(c, true), /^-A -t 198\.18\.0\.100:80 -s rr --proxy-protocol v2$/m);
    assert.match(formatList(c, normalizeStats(undefined), { numeric: true }), /^TCP  198\.18\.0\.100:80 rr proxy-protocol v2$/m);
    // -E sets the service as a whole: without the option, it is off
    c = apply(c, '-E -t 198.18.0.100:80 -s rr --toa');
    assert.deepEqual([c.services[0]!.proxyProtocol, c.services[0]!.toa], [undefined, true]);
    assert.match(formatSave(c, true), /^-A -t 198\.18\.0\.100:80 -s rr --toa$/m);
    c = apply(c, '-E -t 198.18.0.100:80 -s rr');
    assert.deepEqual([c.services[0]!.proxyProtocol, c.services[0]!.toa], [undefined, undefined]);
    const r = applyRestore(empty(), '-A -t 198.18.0.100:80 -s rr --proxy-protocol v1\n');
    assert.ok(r.ok && r.config.services[0]!.proxyProtocol === 'v1');
    c = apply(c, '-E -t 198.18.0.100:80 -s rr -j --toa');
    assert.deepEqual([c.services[0]!.synProxy, c.services[0]!.toa], [true, true]);
    assert.match(formatSave(c, true), /^-A -t 198\.18\.0\.100:80 -s rr --toa --synproxy$/m);
    assert.match(formatList(c, normalizeStats(undefined), { numeric: true }), /^TCP  198\.18\.0\.100:80 rr toa synproxy$/m);
  });

  it('--proxy-protocol: a bad version, or on a server command, is refused', () => {
    const bad = parseIpvsadm(['-A', '-t', '198.18.0.100:80', '--proxy-protocol', 'v3']);
    assert.ok(isParseError(bad) && /illegal proxy protocol version specified \(v1 or v2\)/.test(bad.message), JSON.stringify(bad));
    const onServer = parseIpvsadm(['-a', '-t', '198.18.0.100:80', '-r', '198.19.0.11', '--toa']);
    assert.ok(isParseError(onServer) && /Illegal 'toa' option with the 'add-server' command/.test(onServer.message), JSON.stringify(onServer));
  });

  it('reports ipvsadm errors with exit status 255', () => {
    let c = apply(empty(), '-A -t 198.18.0.100:80');
    c = apply(c, '-a -t 198.18.0.100:80 -r 198.19.0.11');
    const cases: [string, string][] = [
      ['-A -t 198.18.0.100:80', 'Service already exists'],
      ['-E -t 198.18.0.100:81', 'No such service'],
      ['-D -u 198.18.0.100:80', 'No such service'],
      ['-A -t 198.18.0.100:81 -s bogus', 'Scheduler or persistence engine not found'],
      ['-a -t 198.18.0.100:81 -r 198.19.0.11', 'Service not defined'],
      ['-a -t 198.18.0.100:80 -r 198.19.0.11', 'Destination already exists'],
      ['-e -t 198.18.0.100:80 -r 198.19.0.99', 'No such destination'],
      ['-d -t 198.18.0.100:80 -r 198.19.0.11:81', 'No such destination'],
      ['--del-laddr -t 198.18.0.100:80 -z 198.19.0.9', 'No such Local address'],
    ];
    for (const [line, msg] of cases) {
      const e = applyErr(c, line);
      assert.equal(e.message, msg, line);
      assert.equal(e.exitCode, 255, line);
    }
  });

  it('--set keeps values given as 0; -C clears services', () => {
    let c = apply(empty(), '--set 1000 0 60');
    assert.deepEqual(c.timeouts, { tcp: 1000, tcpFin: 120, udp: 60 });
    c = apply(apply(c, '-A -t 198.18.0.100:80'), '-C');
    assert.deepEqual(c.services, []);
  });

  it('LIP add/del copies a shared or implicit pool to the service first', () => {
    let c: IpvsConfig = { ...empty(), lipPools: { default: ['198.19.0.2'] } };
    c = apply(c, '-A -t 198.18.0.100:80');
    c = apply(c, '-A -t 198.18.0.100:443');
    c = apply(c, '--add-laddr -t 198.18.0.100:80 -z 198.19.0.3');
    assert.equal(c.services[0]!.lipPool, 'tcp-198.18.0.100-80');
    assert.deepEqual(c.lipPools, { default: ['198.19.0.2'], 'tcp-198.18.0.100-80': ['198.19.0.2', '198.19.0.3'] });
    assert.equal(applyErr(c, '--add-laddr -t 198.18.0.100:80 -z 198.19.0.3').message, 'Local address already exists');
    c = apply(c, '--del-laddr -t 198.18.0.100:80 -z 198.19.0.2');
    assert.deepEqual(c.lipPools['tcp-198.18.0.100-80'], ['198.19.0.3'], 'own pool edited in place');
    assert.deepEqual(c.lipPools.default, ['198.19.0.2'], 'the other service keeps the default pool');
    assert.equal(formatLaddrs(c, { protocol: 'tcp', vip: '198.18.0.100', port: 80 }),
      'VIP:VPORT            TOTAL    SNAT_IP              CONFLICTS  CONNS     \n' +
      '198.18.0.100:80      1        198.19.0.3           0          0         \n');
  });

  it('does not mutate its input', () => {
    const c = empty();
    apply(c, '-A -t 198.18.0.100:80');
    assert.deepEqual(c.services, []);
  });
});

describe('ipvsadm output, byte for byte', () => {
  const stats = normalizeStats(scenario.stats);
  const cases: [string, () => string][] = [
    ['list-Ln.txt', () => formatList(scenario.config, stats, { numeric: true })],
    ['list-Ln-stats.txt', () => formatList(scenario.config, stats, { numeric: true, stats: true })],
    ['list-Ln-rate.txt', () => formatList(scenario.config, stats, { numeric: true, rate: true })],
    ['list-Ln-thresholds.txt', () => formatList(scenario.config, stats, { numeric: true, thresholds: true })],
    ['list-Ln-persistent-conn.txt', () => formatList(scenario.config, stats, { numeric: true, persistentConn: true })],
    ['list-Lnc.txt', () => formatConnections(normalizeSessions(scenario.sessions), { numeric: true })],
    ['list-timeout.txt', () => formatTimeout(scenario.config.timeouts)],
    ['save-Sn.txt', () => formatSave(scenario.config, true)],
  ];
  for (const [file, render] of cases) {
    it(file, () => {
      assert.equal(render(), fixture(file));
    });
  }

  // Both families (scenario-ipv6.json): IPv6 in brackets and never cut,
  // IPv4 services listed before IPv6 ones (ipvs_cmp_services compares the
  // family first), IPv6 addresses compared word by word.
  const sc6 = JSON.parse(fixture('scenario-ipv6.json')) as { config: IpvsConfig; stats: unknown };
  const stats6 = normalizeStats(sc6.stats);
  const cases6: [string, () => string][] = [
    ['ipv6-list-Ln.txt', () => formatList(sc6.config, stats6, { numeric: true })],
    ['ipv6-list-Ln-stats.txt', () => formatList(sc6.config, stats6, { numeric: true, stats: true })],
    ['ipv6-save-Sn.txt', () => formatSave(sc6.config, true)],
  ];
  for (const [file, render] of cases6) {
    it(file, () => {
      assert.equal(render(), fixture(file));
    });
  }

  it('the formatter output goes through the CLI runner unchanged', async () => {
    const out = await runWithFakeApi(['-Ln'], { config: scenario.config, stats: scenario.stats });
    assert.equal(out.code, 0);
    assert.equal(out.stdout, fixture('list-Ln.txt'));
  });

  it('print_largenum scaling and --exact', () => {
    assert.equal(largenum(99999999, false), ' 99999999');
    assert.equal(largenum(100000000, false), '  100000K');
    assert.equal(largenum(123456789012345, false), '     123T');
    assert.equal(largenum(123456789012, true), ' 123456789012');
    assert.equal(largenum(5, true), '        5');
  });

  it('-L -t lists one service without the version line; --nosort keeps config order', () => {
    const one = formatList(scenario.config, {}, { numeric: true, service: { protocol: 'udp', vip: '198.18.0.101', port: 53 } });
    assert.equal(one, fixture('list-Ln.txt').split('\n').filter((l, i) => i === 1 || i === 2 || i >= 11).join('\n'));
    const nosort = formatList(scenario.config, {}, { numeric: true, nosort: true }).split('\n');
    assert.equal(nosort[3], 'UDP  198.18.0.101:53 sh (sh-fallback,sh-port)');
    assert.equal(nosort[4], '  -> 198.19.0.32:53               Tunnel  1      0          0         ');
  });

  it('sorts like ipvs_cmp_services(), int wrap-around included', () => {
    // ntohl(a) - ntohl(b) is computed in 32 bits and read as int: addresses
    // more than 2^31 apart compare "backwards", so 200.0.0.1 lists before 10.0.0.1.
    let c = apply(empty(), '-A -t 10.0.0.1:80');
    c = apply(c, '-A -t 200.0.0.1:80');
    c = apply(c, '-A -u 1.0.0.1:53');
    const lines = formatSave(c, true).trim().split('\n');
    assert.deepEqual(lines, ['-A -t 200.0.0.1:80 -s wlc', '-A -t 10.0.0.1:80 -s wlc', '-A -u 1.0.0.1:53 -s wlc']);
  });

  it('without -n, ports are named from /etc/services', () => {
    const r = servicesResolver('http\t\t80/tcp\t\twww\nhttps 443/tcp\ndomain 53/udp\n');
    const s = formatSave({ ...empty(), services: [scenario.config.services[1]!] }, false, r);
    assert.equal(s.split('\n')[0], '-A -t 198.18.0.100:https -s wlc -p 360 -M 255.255.255.0');
  });
});

describe('-S | -R round trip', () => {
  const norm = (svcs: ServiceConfig[]): unknown =>
    svcs
      .map((s) => ({ ...s, lipPool: undefined, inhibitOnFailure: undefined, servers: [...s.servers].sort((a, b) => a.address.localeCompare(b.address) || a.port - b.port).map((r) => ({ ...r, upperThreshold: undefined, lowerThreshold: undefined })) }))
      .sort((a, b) => `${a.protocol}${a.vip}${a.port}`.localeCompare(`${b.protocol}${b.vip}${b.port}`));

  it('restoring -S output on an empty config reproduces the services', () => {
    const saved = formatSave(scenario.config, true);
    const r = applyRestore(empty(), saved);
    assert.ok(r.ok, r.ok ? '' : r.message);
    assert.deepEqual(norm(r.config.services), norm(scenario.config.services));
    assert.equal(formatSave(r.config, true), saved);
  });

  it('an IPv6 and IPv4 -S output restores to the same services and saves back byte for byte', () => {
    const sc6 = JSON.parse(fixture('scenario-ipv6.json')) as { config: IpvsConfig };
    const saved = fixture('ipv6-save-Sn.txt');
    const r = applyRestore(empty(), saved);
    assert.ok(r.ok, r.ok ? '' : r.message);
    assert.deepEqual(norm(r.config.services), norm(sc6.config.services));
    assert.equal(formatSave(r.config, true), saved);
  });

  it('NAT64: IPv4 servers under an IPv6 VIP print as ipvsadm prints mixed-family destinations, and -S restores them', () => {
    const saved = '-A -t [2001:2::100]:80 -s rr\n-a -t [2001:2::100]:80 -r 198.18.1.11:80 --fullnat -w 1\n-a -t [2001:2::100]:80 -r 198.18.1.12:80 --fullnat -w 1\n';
    const r = applyRestore(empty(), saved);
    assert.ok(r.ok, r.ok ? '' : r.message);
    assert.deepEqual(r.config.services[0]!.servers.map((x) => x.address), ['198.18.1.11', '198.18.1.12']);
    assert.equal(formatSave(r.config, true), saved);
    const list = formatList(r.config, {}, { numeric: true }).split('\n');
    assert.deepEqual(list.slice(3, 6), [
      'TCP  [2001:2::100]:80 rr',
      '  -> 198.18.1.11:80               FullNat 1      0          0         ',
      '  -> 198.18.1.12:80               FullNat 1      0          0         ',
    ]);
  });

  it('a bad line aborts the whole restore with its line number', () => {
    const r = applyRestore(empty(), '-A -t 198.18.0.100:80 -s rr\n\n-a -t 198.18.0.100:81 -r 198.19.0.11 -m\n');
    assert.deepEqual(r, { ok: false, message: 'Service not defined (line 3)', exitCode: 255 });
    const p = applyRestore(empty(), '-A -t 198.18.0.100:80 -s bogus -w 1\n');
    assert.equal(p.ok, false);
  });

  it('restored services pass validateConfig inside a base config', () => {
    const r = applyRestore(empty(), formatSave(scenario.config, true));
    assert.ok(r.ok);
    const cfg = {
      dataplane: { workers: [1] },
      ports: [
        { name: 'client', device: 'ring', addresses: [
          { ip: '198.18.0.1/24', role: 'dip' }, { ip: '198.18.0.99/32', role: 'vip' },
          { ip: '198.18.0.100/32', role: 'vip' }, { ip: '198.18.0.101/32', role: 'vip' }] },
        { name: 'servers', device: 'ring', addresses: [{ ip: '198.19.0.1/24', role: 'dip' }, { ip: '198.19.0.2/32', role: 'lip' }] },
      ],
      lipPools: { default: ['198.19.0.2'] },
      services: r.config.services,
    };
    const v = validateConfig(cfg);
    assert.ok(v.ok, v.ok ? '' : JSON.stringify(v.errors));
  });
});

// ------------------------------------------------------------ runner / HTTP

interface FakeState {
  config: IpvsConfig;
  stats?: unknown;
  sessionsStatus?: number;
  sessions?: unknown;
  putStatus?: number;
  putBody?: unknown;
}

async function runWithFakeApi(argv: string[], st: FakeState, stdin = ''): Promise<{ code: number; stdout: string; stderr: string; puts: unknown[]; auth: (string | null)[] }> {
  let stdout = '';
  let stderr = '';
  const puts: unknown[] = [];
  const auth: (string | null)[] = [];
  const fetchImpl = async (url: string, init?: RequestInit): Promise<Response> => {
    const h = new Headers(init?.headers);
    auth.push(h.get('authorization'));
    const path = new URL(url).pathname;
    const method = init?.method ?? 'GET';
    if (path === '/api/v1/config' && method === 'GET') return Response.json(st.config);
    if (path === '/api/v1/config' && method === 'PUT') {
      puts.push(JSON.parse(String(init?.body)));
      return Response.json(st.putBody ?? {}, { status: st.putStatus ?? 200 });
    }
    if (path === '/api/v1/stats') return Response.json(st.stats ?? {});
    if (path === '/api/v1/sessions') return Response.json(st.sessions ?? [], { status: st.sessionsStatus ?? 200 });
    return new Response('not found', { status: 404 });
  };
  const code = await runFulcrumadm(argv, {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    readStdin: async () => stdin,
    env: { FULCRUM_API: 'http://fake:1', FULCRUM_API_TOKEN: 'sekrit-token' },
    fetch: fetchImpl,
  });
  return { code, stdout, stderr, puts, auth };
}

describe('fulcrumadm runner', () => {
  it('a mutation reads the config and PUTs it back with the bearer token', async () => {
    const r = await runWithFakeApi(['-a', '-t', '198.18.0.100:443', '-r', '198.19.0.23:443', '-w', '4'], { config: scenario.config });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.puts.length, 1);
    const put = r.puts[0] as FulcrumConfig;
    const svc = put.services.find((s) => s.port === 443)!;
    assert.deepEqual(svc.servers.at(-1), { address: '198.19.0.23', port: 443, weight: 4, method: 'dr' });
    assert.deepEqual(put.lipPools, scenario.config.lipPools, 'the rest of the config is written back as read');
    assert.ok(r.auth.every((a) => a === 'Bearer sekrit-token'));
  });

  it('ipvsadm errors go to stderr, nothing is written', async () => {
    const r = await runWithFakeApi(['-A', '-t', '198.18.0.100:80'], { config: scenario.config });
    assert.deepEqual([r.code, r.stderr, r.puts.length], [255, 'Service already exists\n', 0]);
    const u = await runWithFakeApi(['-L', '--bogus'], { config: scenario.config });
    assert.deepEqual([u.code, u.stderr], [255, '--bogus: unknown option\n']);
    const l = await runWithFakeApi(['-Ln', '-t', '198.18.0.1:80'], { config: scenario.config });
    assert.deepEqual([l.code, l.stderr], [1, 'No such service\n']);
  });

  it('400 errors[] from the daemon are printed one per line', async () => {
    const r = await runWithFakeApi(['-A', '-t', '198.18.0.200:80'], {
      config: scenario.config, putStatus: 400,
      putBody: { errors: [{ path: 'services[4].vip', message: '198.18.0.200 is not a port address with role "vip"' }] },
    });
    assert.equal(r.code, 255);
    assert.equal(r.stderr, 'services[4].vip: 198.18.0.200 is not a port address with role "vip"\n');
  });

  it('-R applies stdin in one PUT', async () => {
    const r = await runWithFakeApi(['-R'], { config: empty() }, fixture('save-Sn.txt'));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.puts.length, 1);
    assert.equal(formatSave(r.puts[0] as IpvsConfig, true), fixture('save-Sn.txt'));
  });

  it('-Lnc prints the header only when sessions answer 501; --timeout; -Sn', async () => {
    const c = await runWithFakeApi(['-Lnc'], { config: scenario.config, sessionsStatus: 501 });
    assert.equal(c.stdout, fixture('list-Lnc.txt').split('\n').slice(0, 2).join('\n') + '\n');
    const c2 = await runWithFakeApi(['-L', '-n', '-c'], { config: scenario.config, sessions: { sessions: scenario.sessions } });
    assert.equal(c2.stdout, fixture('list-Lnc.txt'));
    const t = await runWithFakeApi(['-L', '--timeout'], { config: scenario.config });
    assert.equal(t.stdout, fixture('list-timeout.txt'));
    const s = await runWithFakeApi(['-S', '-n'], { config: scenario.config });
    assert.equal(s.stdout, fixture('save-Sn.txt'));
  });

  it('the installed bin talks HTTP to --api and exits like ipvsadm', async () => {
    const server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      const p = new URL(req.url ?? '/', 'http://fake').pathname; // -L asks for ?view=effective
      if (p === '/api/v1/config') res.end(JSON.stringify(scenario.config));
      else if (p === '/api/v1/stats') res.end(JSON.stringify(scenario.stats));
      else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const bin = join(ROOT, 'dist', 'src', 'cli', 'fulcrumadm.js');
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [bin, '--api', `http://127.0.0.1:${port}`, '-Ln', '--stats']);
      assert.equal(stdout, fixture('list-Ln-stats.txt'));
      await assert.rejects(promisify(execFile)(process.execPath, [bin, '--api', `http://127.0.0.1:${port}`, '-D', '-t', '198.18.0.1:80']),
        (e: { code: number; stderr: string }) => e.code === 255 && e.stderr === 'No such service\n');
    } finally {
      server.close();
    }
    // nothing listens there: "Can't initialize ipvs", exit 2
    await assert.rejects(promisify(execFile)(process.execPath, [bin, '--api', `http://127.0.0.1:${port}`, '-Ln']),
      (e: { code: number; stderr: string }) => e.code === 2 && e.stderr.startsWith("Can't initialize ipvs: cannot reach the Fulcrum API"));
  });
});

describe('ipvsadm 1.31 tunnel types and host names', () => {
  const perr = (argv: string[], resolve?: (h: string) => string | null) => {
    const r = parseIpvsadm(argv, PROGRAM, resolve);
    assert.ok(isParseError(r), `${argv.join(' ')} should fail`);
    return r;
  };

  it('-S prints a tunnelled server with --tun-type ipip, and -R takes it back (a real 1.31 dump)', () => {
    const dump = '-A -t 198.18.0.100:80 -s rr\n-a -t 198.18.0.100:80 -r 198.19.0.31:80 -i -w 3 --tun-type ipip\n';
    const base = validateConfig({
      dataplane: { workers: [1] },
      ports: [{ name: 'client', device: 'ring', twin: false, addresses: [{ ip: '198.18.0.1/24', role: 'dip' }, { ip: '198.18.0.100/32', role: 'vip' }] },
        { name: 'servers', device: 'ring', twin: false, addresses: [{ ip: '198.19.0.1/24', role: 'dip' }] }],
    });
    assert.ok(base.ok);
    const r = applyRestore(base.config as IpvsConfig, dump);
    assert.ok(r.ok, !r.ok ? r.message : '');
    const rs = r.config.services[0]!.servers[0]!;
    assert.deepEqual([rs.address, rs.port, rs.method, rs.weight], ['198.19.0.31', 80, 'tun', 3]);
    assert.equal(formatSave(r.config, true), dump);
  });

  it('--tun-type gue and gre are refused by name; an unknown type and a non-tunnelled server as ipvsadm would', () => {
    for (const t of ['gue', 'gre']) {
      const e = perr(['-a', '-t', '198.18.0.100:80', '-r', '198.19.0.31', '-i', '--tun-type', t]);
      assert.equal(e.exitCode, 2);
      assert.match(e.message, new RegExp(`tunnel type ${t} is not supported: .*IPIP only`));
    }
    assert.equal(perr(['-a', '-t', '198.18.0.100:80', '-r', '198.19.0.31', '-i', '--tun-type', 'vxlan']).message, 'illegal tunnel type specified');
    assert.match(perr(['-a', '-t', '198.18.0.100:80', '-r', '198.19.0.31', '-g', '--tun-type', 'ipip']).message, /only for a tunnelled real server \(-i\)/);
  });

  it('host names in -t/-u/-r are resolved (gethostbyname through NSS), unresolvable ones refused as ipvsadm does', () => {
    const hosts: Record<string, string> = { 'vip.example': '198.18.0.100', rs1: '198.19.0.11' };
    const resolve = (h: string): string | null => hosts[h] ?? null;
    const r = parseIpvsadm(['-a', '-t', 'vip.example:http', '-r', 'rs1:8080', '-m'], PROGRAM, resolve);
    assert.ok(!isParseError(r), isParseError(r) ? r.message : '');
    assert.deepEqual(r.service, { protocol: 'tcp', vip: '198.18.0.100', port: 80 });
    assert.deepEqual(r.server, { address: '198.19.0.11', port: 8080 });
    assert.equal(perr(['-A', '-u', 'nowhere.example:53'], resolve).message, 'illegal virtual server address[:port] specified');
    assert.equal(perr(['-a', '-t', 'vip.example:80', '-r', 'nowhere:80'], resolve).message, 'illegal real server address[:port] specified');
    // The real resolver: /etc/hosts names localhost.
    assert.equal(nssResolver('localhost'), '127.0.0.1');
    assert.equal(nssResolver('no-such-host.invalid'), null);
  });
});
