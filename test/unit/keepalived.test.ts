// keepalived.conf import: lexer, conversion with keepalived's defaults,
// warnings with line numbers, validity inside a base config, the CLI.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { mkdirSync, rmSync, writeFileSync as wf } from 'node:fs';
import * as pth from 'node:path';
import { expandIncludes } from '../../src/keepalived/include';
import { promisify } from 'node:util';
import { validateConfig } from '../../src/config/validate';
import { convertKeepalived, mergeImport, type ImportResult } from '../../src/keepalived/convert';
import { parseKeepalived, tokenize } from '../../src/keepalived/parse';

const ROOT = join(__dirname, '..', '..', '..');
const FIX = join(ROOT, 'test', 'unit', 'keepalived-fixtures');
const conf = (n: string): string => readFileSync(join(FIX, n), 'utf8');

const BASE = {
  dataplane: { workers: [1] },
  ports: [
    {
      name: 'client', device: 'ring', addresses: [
        { ip: '198.18.0.1/24', role: 'dip' },
        ...[100, 101, 102, 103, 104, 105].map((n) => ({ ip: `198.18.0.${n}/32`, role: 'vip' })),
      ],
    },
    {
      name: 'servers', device: 'ring', addresses: [
        { ip: '198.19.0.1/24', role: 'dip' },
        { ip: '198.19.0.2/32', role: 'lip' },
        { ip: '198.19.0.3/32', role: 'lip' },
      ],
    },
  ],
};

const warningsAt = (r: ImportResult, line: number): string[] =>
  r.warnings.filter((w) => w.line === line).map((w) => w.message);

describe('keepalived lexer', () => {
  it('comments, quotes, braces as words, line numbers', () => {
    const { tokens } = tokenize('a b # c\n! all comment\n x "y z"{w}\nurl#frag');
    assert.deepEqual(tokens.map((t) => [t.text, t.line]), [
      ['a', 1], ['b', 1], ['x', 3], ['y z', 3], ['{', 3], ['w', 3], ['}', 3], ['url#frag', 4],
    ]);
  });

  it('blocks: same line, next line, one-line, unbalanced', () => {
    const p = parseKeepalived('vs 1 2\n{\n  k v\n  rs 3 { weight 5 }\n}\n}\nopen {\n');
    assert.equal(p.statements[0]!.keyword, 'vs');
    assert.deepEqual(p.statements[0]!.block!.map((s) => [s.keyword, s.args, s.line]), [['k', ['v'], 3], ['rs', ['3'], 4]]);
    assert.deepEqual(p.statements[0]!.block![1]!.block!.map((s) => [s.keyword, s.args]), [['weight', ['5']]]);
    assert.deepEqual(p.problems, [
      { line: 6, message: "unmatched '}'" },
      { line: 7, message: "block opened here is not closed with '}'" },
    ]);
  });
});

describe('keepalived conversion: basic.conf', () => {
  const r = convertKeepalived(conf('basic.conf'));

  it('virtual servers become services with keepalived semantics', () => {
    const strip = r.config.services.map((svc) => ({ ...svc, servers: svc.servers.map(({ healthCheck: _h, ...rs }) => rs) }));
    assert.deepEqual(strip, [
      {
        protocol: 'tcp', vip: '198.18.0.100', port: 80, scheduler: 'wrr', schedFlags: [],
        persistence: { timeout: 50, netmask: '255.255.255.0' }, expireNodestConn: false,
        inhibitOnFailure: true,
        sorryServer: { address: '198.19.0.99', port: 80, weight: 1, method: 'dr' },
        servers: [
          { address: '198.19.0.11', port: 80, weight: 3, method: 'dr' },
          { address: '198.19.0.12', port: 80, weight: 1, method: 'dr' },
        ],
      },
      {
        protocol: 'tcp', vip: '198.18.0.100', port: 443, scheduler: 'rr', schedFlags: [],
        persistence: null, expireNodestConn: false, inhibitOnFailure: false,
        servers: [
          { address: '198.19.0.21', port: 8443, weight: 2, method: 'nat' },
          { address: '198.19.0.22', port: 8443, weight: 1, method: 'nat' },
        ],
      },
    ]);
  });

  it('checkers become healthCheck with inherited timing, url, status codes, digest and misc commands', () => {
    const [web, tls] = r.config.services;
    const [http, tcp] = web!.servers.map((x) => x.healthCheck);
    const [ssl, misc] = tls!.servers.map((x) => x.healthCheck);
    assert.deepEqual(http, {
      type: 'http', delayLoop: 6, connectTimeout: 3, retry: 3, delayBeforeRetry: 3, rise: 1, fall: 1, alpha: false,
      http: {
        path: '/healthz', statusCodes: ['200'], tls: false,
        // keepalived checks every url: the second follows the first.
        extraUrls: [{ path: '/index.html', statusCodes: ['200-299'], digest: '640205b7b0fc66c1ea91c463fac6334d' }],
      },
    });
    // keepalived's TCP_CHECK defaults: retry 1, delay_before_retry 1.
    assert.deepEqual(tcp, {
      type: 'tcp', delayLoop: 6, connectTimeout: 4, retry: 1, delayBeforeRetry: 1, rise: 1, fall: 1, alpha: false, connectPort: 80,
    });
    assert.deepEqual(ssl, {
      type: 'http', delayLoop: 10, connectTimeout: 2, retry: 2, delayBeforeRetry: 3, rise: 1, fall: 1, alpha: false,
      http: { path: '/status%20page', statusCodes: ['200-299', '301'], tls: true },
    });
    assert.deepEqual(misc!.misc, { command: '/usr/local/bin/check_app --port 8443', timeout: 5, dynamic: true });
    assert.equal(misc!.type, 'misc');
    assert.equal(misc!.retry, 0);
  });

  it('per-server inhibit_on_failure and non-LVS blocks are reported with their lines; a second url is no longer', () => {
    assert.deepEqual(warningsAt(r, 39), []);
    assert.match(warningsAt(r, 21)[0]!, /inhibit_on_failure is set for some real servers only/);
    assert.match(warningsAt(r, 2)[0]!, /global_defs ignored/);
    assert.match(warningsAt(r, 9)[0]!, /vrrp_instance ignored/);
    assert.equal(r.warnings.length, 3, JSON.stringify(r.warnings));
  });

  it('quorum, hysteresis, quorum_up/down, alpha, sorry_server_lvs_method and a digest url', () => {
    const k = convertKeepalived([
      'virtual_server 198.18.0.100 80 {', ' protocol TCP', ' lb_kind NAT', ' quorum 3', ' hysteresis 1',
      ' quorum_up "/bin/echo up"', ' quorum_down /bin/echo down', ' alpha', ' sorry_server 198.19.0.99 8080',
      ' sorry_server_lvs_method FNAT', ' real_server 198.19.0.11 80 {', '  HTTP_GET {',
      '   url {', '    path /index.html', '    digest 640205B7B0FC66C1EA91C463FAC6334D', '    virtualhost www.example.net', '   }', '  }',
      '  TCP_CHECK {', '  }', ' }', '}', '',
    ].join('\n'));
    const svc = k.config.services[0]!;
    // keepalived: a quoted command, or one word and then the user to run it as.
    assert.deepEqual(svc.quorum, { count: 3, hysteresis: 1, up: '/bin/echo up', down: '/bin/echo' });
    assert.match(warningsAt(k, 7)[0]!, /quorum_down: user "down" not converted/);
    assert.deepEqual(svc.sorryServer, { address: '198.19.0.99', port: 8080, weight: 1, method: 'fullnat' });
    const hc = svc.servers[0]!.healthCheck!;
    assert.equal(hc.alpha, true);
    assert.deepEqual(hc.http, { path: '/index.html', statusCodes: ['200-299'], tls: false, digest: '640205b7b0fc66c1ea91c463fac6334d', host: 'www.example.net' });
    assert.match(warningsAt(k, 19)[0]!, /one checker per real server - only the first \(line 12\)/);
  });

  it('passes validateConfig merged into a base config', () => {
    const v = validateConfig(mergeImport(BASE, r.config));
    assert.ok(v.ok, v.ok ? '' : JSON.stringify(v.errors));
  });
});

describe('keepalived conversion: groups.conf', () => {
  const r = convertKeepalived(conf('groups.conf'));
  const ids = r.config.services.map((s) => `${s.protocol}:${s.vip}:${s.port}`);

  it('virtual_server_group ranges expand into one service each, FNAT with its LIP group', () => {
    assert.deepEqual(ids, ['tcp:198.18.0.101:80', 'tcp:198.18.0.102:80', 'tcp:198.18.0.103:8080', 'udp:198.18.0.104:53', 'tcp:198.18.0.105:80']);
    const g = r.config.services.slice(0, 3);
    for (const s of g) {
      assert.deepEqual([s.scheduler, s.schedFlags, s.lipPool, s.toa, s.synProxy], ['mh', ['mh-port'], 'laddr_g1', true, true]);
      assert.deepEqual(s.servers, [
        { address: '198.19.0.31', port: 80, weight: 5, method: 'fullnat' },
        {
          address: '198.19.0.32', port: 80, weight: 1, method: 'fullnat',
          healthCheck: { type: 'tcp', delayLoop: 5, connectTimeout: 1, retry: 1, delayBeforeRetry: 1, rise: 1, fall: 1, alpha: false },
        },
      ]);
    }
    assert.deepEqual(r.config.lipPools, { laddr_g1: ['198.19.0.2', '198.19.0.3'] });
    assert.deepEqual(r.config.services.filter((s) => s.servers.some((x) => x.healthCheck)).map((s) => `${s.protocol}:${s.vip}:${s.port}`),
      ['tcp:198.18.0.101:80', 'tcp:198.18.0.102:80', 'tcp:198.18.0.103:8080', 'udp:198.18.0.104:53']);
    // keepalived's DNS_CHECK: retry 3 by default, name ".", the type given.
    assert.deepEqual(r.config.services[3]!.servers[0]!.healthCheck, {
      type: 'dns', delayLoop: 60, connectTimeout: 5, retry: 3, delayBeforeRetry: 1, rise: 1, fall: 1, alpha: false,
      dns: { type: 'A', name: '.' },
    });
  });

  it("keepalived's defaults: UDP with a warning, NAT with a note", () => {
    const s = r.config.services[3]!;
    assert.deepEqual([s.protocol, s.servers[0]!.method, s.scheduler], ['udp', 'nat', 'sh']);
    const at29 = r.warnings.filter((w) => w.line === 29);
    assert.equal(at29.length, 2);
    assert.equal(at29[0]!.severity, 'warning');
    assert.match(at29[0]!.message, /no protocol set - defaulting to UDP/);
    assert.equal(at29[1]!.severity, 'note');
    assert.match(at29[1]!.message, /no forwarding method set, setting default NAT/);
  });

  it('DR real-server port is reset to the virtual-server port, as keepalived does', () => {
    assert.deepEqual(r.config.services[4]!.servers, [{ address: '198.19.0.51', port: 80, weight: 1, method: 'dr' }]);
    assert.match(warningsAt(r, 44)[0]!, /ports don't match - resetting/);
  });

  it('everything not converted is reported with its line', () => {
    const expect: [number, RegExp][] = [
      [1, /include \/etc\/keepalived\/conf\.d\/\*\.conf is not supported/],
      [11, /fwmark entries are not supported/],
      [17, /lb_kind FNAT - DPVS adds TOA \(TCP option 254\) to every connection, so toa is set/],
      [43, /unknown keyword "frobnicate"/],
      [50, /protocol SCTP is not supported/],
      [55, /virtual_server fwmark/],
      [60, /has no real servers - ignored, as keepalived does/],
    ];
    for (const [line, re] of expect) {
      assert.ok(warningsAt(r, line).some((m) => re.test(m)), `line ${line}: ${re} in ${JSON.stringify(warningsAt(r, line))}`);
    }
    assert.equal(r.warnings.length, expect.length + 3, JSON.stringify(r.warnings, null, 1)); // + the two at line 29 and the port reset at 44
  });

  it('passes validateConfig merged into a base config', () => {
    const v = validateConfig(mergeImport(BASE, r.config));
    assert.ok(v.ok, v.ok ? '' : JSON.stringify(v.errors));
  });
});

describe('keepalived conversion: edge cases', () => {
  it('persistence_timeout without a value is 360; a zero port forces persistence', () => {
    const r = convertKeepalived('virtual_server 198.18.0.100 0 {\n protocol TCP\n lb_kind NAT\n real_server 198.19.0.11 0 {\n }\n}\n' +
      'virtual_server 198.18.0.101 80 {\n protocol UDP\n lb_kind NAT\n persistence_timeout\n persistence_granularity 24\n real_server 198.19.0.12 53 {\n }\n}\n');
    assert.deepEqual(r.config.services[0]!.persistence, { timeout: 360, netmask: '255.255.255.255' });
    assert.deepEqual(r.config.services[0]!.servers[0]!.port, 0);
    assert.match(warningsAt(r, 1)[0]!, /zero port only valid for persistent services/);
    assert.deepEqual(r.config.services[1]!.persistence, { timeout: 360, netmask: '255.255.255.0' });
  });

  it('bad values are reported, not guessed', () => {
    const r = convertKeepalived('virtual_server 198.18.0.100 80 {\n protocol TCP\n lb_algo bogus\n lb_kind XYZ\n delay_loop soon\n real_server 198.19.0.11 80 {\n  weight 100000\n }\n real_server 198.19.0.300 80 {\n }\n}\n');
    assert.equal(r.config.services[0]!.scheduler, 'wlc');
    assert.equal(r.config.services[0]!.servers[0]!.weight, 65535);
    assert.match(warningsAt(r, 3)[0]!, /scheduler "bogus" is not supported/);
    assert.match(warningsAt(r, 4)[0]!, /unknown forwarding method "XYZ"/);
    assert.match(warningsAt(r, 5)[0]!, /delay_loop: invalid value "soon"/);
    assert.match(warningsAt(r, 7)[0]!, /above 65535/);
    assert.match(warningsAt(r, 9)[0]!, /not an IPv4 or IPv6 address - real server skipped/);
  });

  it('mergeImport replaces a same-id service from the base', () => {
    const base = { ...BASE, services: [{ protocol: 'tcp', vip: '198.18.0.100', port: 80, servers: [] }] };
    const r = convertKeepalived(conf('basic.conf'));
    const m = mergeImport(base as never, r.config) as { services: unknown[] };
    assert.equal(m.services.length, 2);
  });
});

describe('fulcrum import-keepalived', () => {
  it('writes the config with its health checks; warnings carry file:line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fulcrum-ka-'));
    const basePath = join(dir, 'base.json');
    writeFileSync(basePath, JSON.stringify(BASE));
    const out = join(dir, 'out.json');
    const bin = join(ROOT, 'dist', 'src', 'cli', 'fulcrum.js');
    const file = join(FIX, 'groups.conf');
    const { stderr } = await promisify(execFile)(process.execPath, [bin, 'import-keepalived', file, '-o', out, '--base', basePath]);
    assert.ok(stderr.includes(`${file}:29: warning: virtual_server 198.18.0.104 53: no protocol set - defaulting to UDP`), stderr);
    const cfg = JSON.parse(readFileSync(out, 'utf8')) as { services: { servers: { healthCheck?: unknown }[] }[]; dataplane: unknown };
    assert.equal(cfg.services.length, 5);
    assert.ok(cfg.dataplane, 'merged into the base');
    assert.equal(existsSync(join(dir, 'out.checks.json')), false, 'no sidecar any more');
    assert.equal(cfg.services.flatMap((s) => s.servers).filter((x) => x.healthCheck).length, 4);
    assert.ok(stderr.includes('with 4 health check(s)'), stderr);
  });

  it('refuses to write a merged config that does not validate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fulcrum-ka-'));
    const basePath = join(dir, 'base.json');
    writeFileSync(basePath, JSON.stringify({ ...BASE, ports: [BASE.ports[0]] })); // no LIPs, no server network
    const out = join(dir, 'out.json');
    const bin = join(ROOT, 'dist', 'src', 'cli', 'fulcrum.js');
    await assert.rejects(
      promisify(execFile)(process.execPath, [bin, 'import-keepalived', join(FIX, 'groups.conf'), '-o', out, '--base', basePath]),
      (e: { code: number; stderr: string }) => e.code === 1 && /fulcrum: config: /.test(e.stderr),
    );
    assert.equal(existsSync(out), false);
  });
});

describe('keepalived: include, virtualhost at every level, persistence_timeout 0', () => {
  it('include follows globs relative to the including file, nested, sorted; warnings name each file and line', () => {
    const dir = mkdtempSync(pth.join(tmpdir(), 'fulcrum-ka-'));
    try {
      mkdirSync(pth.join(dir, 'conf.d'));
      wf(pth.join(dir, 'keepalived.conf'), 'global_defs {\n  router_id lb1\n}\ninclude conf.d/*.conf\ninclude missing/*.conf\n');
      wf(pth.join(dir, 'conf.d', '20-web.conf'), 'virtual_server 198.18.0.100 80 {\n  lb_algo rr\n  lb_kind DR\n  protocol TCP\n  real_server 198.19.0.11 80 {\n    weight 2\n  }\n}\ninclude ../more/x?.inc\n');
      wf(pth.join(dir, 'conf.d', '10-dns.conf'), 'virtual_server 198.18.0.100 53 {\n  protocol UDP\n  lb_kind NAT\n  frobnicate\n  real_server 198.19.0.12 53 {\n  }\n}\n');
      wf(pth.join(dir, 'conf.d', 'skip.txt'), 'virtual_server 198.18.0.100 99 {\n}\n');
      mkdirSync(pth.join(dir, 'more'));
      wf(pth.join(dir, 'more', 'x1.inc'), 'include ../keepalived.conf\n');
      const ex = expandIncludes(pth.join(dir, 'keepalived.conf'));
      const r = convertKeepalived(ex.text);
      // Sorted: 10-dns before 20-web; *.conf only.
      assert.deepEqual(r.config.services.map((s) => `${s.protocol}:${s.port}`), ['udp:53', 'tcp:80']);
      const w = r.warnings.find((x) => /unknown keyword "frobnicate"/.test(x.message))!;
      assert.deepEqual(ex.origin(w.line), { file: pth.join(dir, 'conf.d', '10-dns.conf'), line: 4 });
      // In the order reading reaches them: the nested include (from line 4) before line 5.
      assert.deepEqual(ex.problems.map((p) => [pth.relative(dir, p.file), p.line]), [['more/x1.inc', 1], ['keepalived.conf', 5]]);
      assert.match(ex.problems[0]!.message, /keepalived\.conf: includes itself - not read$/);
      assert.match(ex.problems[1]!.message, /^include missing\/\*\.conf: no file matches$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('virtualhost on a virtual_server or real_server is the HTTP check\'s host (url > checker > real_server > virtual_server)', () => {
    const r = convertKeepalived([
      'virtual_server 198.18.0.100 80 {',
      '  protocol TCP', '  lb_kind NAT', '  virtualhost vs.example',
      '  real_server 198.19.0.11 80 {', '    HTTP_GET {', '      url {', '        path /', '      }', '    }', '  }',
      '  real_server 198.19.0.12 80 {', '    virtualhost rs.example', '    HTTP_GET {', '      url {', '        path /', '      }', '    }', '  }',
      '  real_server 198.19.0.13 80 {', '    virtualhost rs.example', '    HTTP_GET {', '      virtualhost checker.example',
      '      url {', '        path /a', '      }', '    }', '  }',
      '}',
    ].join('\n'));
    assert.deepEqual(r.config.services[0]!.servers.map((s) => s.healthCheck?.http?.host), ['vs.example', 'rs.example', 'checker.example']);
    assert.ok(!r.warnings.some((x) => /virtualhost/.test(x.message)), JSON.stringify(r.warnings));
  });

  it('persistence_timeout 0 is "not persistent", with no warning', () => {
    const r = convertKeepalived('virtual_server 198.18.0.100 80 {\n  protocol TCP\n  lb_kind NAT\n  persistence_timeout 0\n  real_server 198.19.0.11 80 {\n  }\n}\n');
    assert.equal(r.config.services[0]!.persistence, null);
    assert.ok(!r.warnings.some((x) => /persistence/.test(x.message)), JSON.stringify(r.warnings));
  });
});

describe('keepalived conversion: the IPv6 sample (ipv6.conf)', () => {
  const r = convertKeepalived(conf('ipv6.conf'));
  const BASE6 = {
    dataplane: { workers: [1] },
    ports: [
      { name: 'client', device: 'ring', addresses: [
        { ip: '2001:2::1/64', role: 'dip' },
        ...['100', '101', '102'].map((n) => ({ ip: `2001:2::${n}/128`, role: 'vip' })),
      ] },
      { name: 'servers', device: 'ring', addresses: [{ ip: '2001:2:1::1/64', role: 'dip' }, { ip: '2001:2:1::2/64', role: 'lip' }] },
    ],
  };

  it('converts every service, its servers, checks and persistence, IPv6 written as inet_ntop prints it', () => {
    assert.deepEqual(r.warnings.map((w) => `${w.line} ${w.severity}: ${w.message}`), [
      '6 note: global_defs ignored (not part of the load-balancer config)',
      '51 warning: virtual_server group web6: lb_kind FNAT - DPVS adds TOA to every connection; IPv6 2001:2::101 gets none (Fulcrum has no IPv6 TOA yet)',
      '51 warning: virtual_server group web6: lb_kind FNAT - DPVS adds TOA to every connection; IPv6 2001:2::102 gets none (Fulcrum has no IPv6 TOA yet)',
    ]);
    assert.deepEqual(r.config.services.map((s) => `${s.protocol}:${s.vip}:${s.port}`),
      ['tcp:2001:2::100:80', 'tcp:2001:2::101:443', 'tcp:2001:2::102:443']);
    const nat = r.config.services[0]!;
    // persistence_granularity 64 on an IPv6 service is a prefix length (ipvsadm -M 64).
    assert.deepEqual(nat.persistence, { timeout: 50, netmask: '255.255.255.255', ipv6PrefixLength: 64 });
    assert.deepEqual(nat.servers.map((s) => [s.address, s.port, s.weight, s.method]),
      [['2001:2:1::11', 80, 1, 'nat'], ['2001:2:1::12', 80, 2, 'nat']]);
    assert.equal(nat.servers[0]!.healthCheck!.type, 'http');
    assert.equal(nat.servers[1]!.healthCheck!.connectIp, '2001:2:1::112');
    const fnat = r.config.services[1]!;
    assert.deepEqual([fnat.scheduler, fnat.lipPool, fnat.servers[0]!.method, fnat.sorryServer?.address], ['wrr', 'laddr6', 'fullnat', '2001:2:1::99']);
    assert.deepEqual(r.config.lipPools, { laddr6: ['2001:2:1::2'] });
  });

  it('passes validateConfig merged into an IPv6 base config', () => {
    const v = validateConfig(mergeImport(BASE6, r.config));
    assert.ok(v.ok, v.ok ? '' : JSON.stringify(v.errors));
  });
});

