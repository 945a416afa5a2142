// keywords.conf uses every keyword of keepalived.conf(5)'s LVS section and of
// keepalived's doc/samples (virtual_server_group, virtual_server,
// real_server, the checkers) and DPVS's dialect; the import is checked
// field by field, and every keyword that is not converted must be reported
// at its line with the reason (the warnings list is exact).
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { validateConfig } from '../../src/config/validate';
import { convertKeepalived, mergeImport } from '../../src/keepalived/convert';

const ROOT = join(__dirname, '..', '..', '..');
const r = convertKeepalived(readFileSync(join(ROOT, 'test', 'unit', 'keepalived-fixtures', 'keywords.conf'), 'utf8'));
const timing = (o: object) => ({ delayLoop: 3, connectTimeout: 2, retry: 2, delayBeforeRetry: 0.5, rise: 1, fall: 1, alpha: true, ...o });

describe('keepalived import: every keyword (keywords.conf)', () => {
  it('a virtual_server group with FNAT, a LIP group, persistence, quorum, sorry server and four checked servers', () => {
    assert.deepEqual(r.config.services.map((s) => `${s.protocol}:${s.vip}:${s.port}`),
      ['tcp:198.18.0.110:80', 'tcp:198.18.0.111:80', 'tcp:198.18.0.112:80', 'udp:198.18.0.120:53', 'tcp:198.18.0.121:80']);
    const [g0, g1, g2] = r.config.services;
    assert.deepEqual(g0, {
      protocol: 'tcp', vip: '198.18.0.110', port: 80, scheduler: 'wrr', schedFlags: [],
      persistence: { timeout: 600, netmask: '255.255.255.0' }, expireNodestConn: false,
      inhibitOnFailure: true, lipPool: 'laddr_g1',
      sorryServer: { address: '198.19.0.99', port: 8080, weight: 1, method: 'nat' },
      quorum: { count: 2, hysteresis: 1, up: '/usr/local/bin/quorum up', down: '/usr/local/bin/quorum-down' },
      servers: [
        {
          address: '198.19.0.11', port: 80, weight: 3, method: 'fullnat', upperThreshold: 100, lowerThreshold: 10,
          notify: { up: '/usr/local/bin/rs up', down: '/usr/local/bin/rs-down' },
          // The checker's own timing wins over the real server's and the virtual server's.
          healthCheck: {
            type: 'http', delayLoop: 5, connectTimeout: 1.5, retry: 4, delayBeforeRetry: 2, rise: 1, fall: 1, alpha: true,
            connectIp: '198.19.0.11', connectPort: 8080,
            http: {
              path: '/health', statusCodes: ['200', '300-302'], digest: '5d41402abc4b2a76b9719d911017c592', tls: false,
              extraUrls: [{ path: '/ready', statusCodes: ['204'] }], host: 'a.example.test',
            },
          },
        },
        {
          address: '198.19.0.12', port: 443, weight: 1, method: 'fullnat',
          healthCheck: timing({ type: 'http', http: { path: '/', statusCodes: ['200-299'], tls: true, host: 'www.example.test' } }),
        },
        { address: '198.19.0.13', port: 80, weight: 1, method: 'fullnat', healthCheck: timing({ type: 'tcp', connectPort: 80 }) },
        {
          address: '198.19.0.14', port: 25, weight: 1, method: 'fullnat',
          healthCheck: timing({ type: 'smtp', connectIp: '198.19.0.15', connectPort: 2525, smtp: { helo: 'mx.example.test' } }),
        },
      ],
    });
    assert.deepEqual(g1, { ...g0, vip: '198.18.0.111' }, 'every address of the group gets the same service');
    assert.deepEqual(g2, { ...g0, vip: '198.18.0.112' });
    assert.deepEqual(r.config.lipPools, { laddr_g1: ['198.19.0.2', '198.19.0.3', '198.19.0.4'] });
  });

  it('UDP with sh flags and the DNS, UDP, PING and MISC checkers at keepalived\'s defaults', () => {
    const dflt = { delayLoop: 60, connectTimeout: 5, rise: 1, fall: 1, alpha: false };
    assert.deepEqual(r.config.services[3], {
      protocol: 'udp', vip: '198.18.0.120', port: 53, scheduler: 'sh', schedFlags: ['sh-port', 'sh-fallback'],
      persistence: null, expireNodestConn: false, inhibitOnFailure: false,
      servers: [
        { address: '198.19.0.21', port: 53, weight: 1, method: 'nat', healthCheck: { type: 'dns', ...dflt, retry: 3, delayBeforeRetry: 1, dns: { type: 'A', name: 'example.test' } } },
        {
          address: '198.19.0.22', port: 53, weight: 1, method: 'nat',
          healthCheck: { type: 'udp', ...dflt, retry: 1, delayBeforeRetry: 1, udp: { requireReply: true, minReplyLength: 2, maxReplyLength: 512, payload: '0a0b0c', reply: '0a0b' } },
        },
        { address: '198.19.0.23', port: 53, weight: 1, method: 'nat', healthCheck: { type: 'ping', ...dflt, retry: 3, delayBeforeRetry: 1 } },
        {
          address: '198.19.0.24', port: 53, weight: 1, method: 'nat',
          healthCheck: { type: 'misc', ...dflt, retry: 0, delayBeforeRetry: 0, misc: { command: '/usr/local/bin/check --udp', dynamic: true, timeout: 3 } },
        },
        { address: '198.19.0.25', port: 53, weight: 1, method: 'nat' },
        { address: '198.19.0.26', port: 53, weight: 1, method: 'nat' },
      ],
    });
  });

  it('TUN with "type ipip" and mh flags through flag-1/flag-2', () => {
    assert.deepEqual(r.config.services[4], {
      protocol: 'tcp', vip: '198.18.0.121', port: 80, scheduler: 'mh', schedFlags: ['mh-port', 'mh-fallback'],
      persistence: null, expireNodestConn: false, inhibitOnFailure: false,
      servers: [{ address: '198.19.0.31', port: 80, weight: 1, method: 'tun' }],
    });
  });

  it('every keyword not converted is reported at its line, with the reason', () => {
    const got = r.warnings.map((w) => `${w.line} ${w.message}`);
    assert.deepEqual(got, [
      '8 virtual_server_group web_group: fwmark entries are not supported by Fulcrum - not converted',
      '12 local_address_group laddr_g1: interface "dpdk0" not converted (Fulcrum LIPs are port addresses)',
      '21 virtual_server group web_group: syn_proxy needs a TCP service whose real and sorry servers are all FULLNAT - not converted',
      '22 virtual_server: "establish_timeout" not converted (a DPVS keyword without a Fulcrum equivalent)',
      '25 virtual_server: "persistence_engine" not converted (Fulcrum has no persistence engines such as sip)',
      '27 virtual_server: "ha_suspend" not converted (a VIP is always configured on the director)',
      '28 virtual_server: "smtp_alert" not converted (Fulcrum sends no mail; use notify commands)',
      '30 virtual_server: "snmp_name" not converted (Fulcrum has no SNMP agent; its metrics are Prometheus)',
      '32 virtual_server: "omega" not converted (Fulcrum runs no command when a service is removed)',
      '36 quorum_down: user "nobody" not converted (the command runs as the daemon\'s user)',
      '37 virtual_server: "ip_family" not converted (the family follows the addresses)',
      '39 virtual_server: "sorry_server_inhibit" not converted (the sorry server is published alone at weight 1)',
      '44 warmup not converted: Fulcrum checks at once',
      '46 virtual_server: "ops" not converted (Fulcrum has no one-packet scheduling)',
      '54 real_server: "smtp_alert" not converted (Fulcrum sends no mail; use notify commands)',
      '56 real_server: "snmp_name" not converted (Fulcrum has no SNMP agent; its metrics are Prometheus)',
      '61 warmup not converted: Fulcrum checks at once',
      '64 HTTP_GET: bindto/bind_port not converted (Fulcrum binds probes to the on-link DIP)',
      '64 HTTP_GET: urls with different virtualhosts - Fulcrum sends one Host per check, the first url\'s',
      '68 HTTP_GET: "bind_if" not converted (Fulcrum binds probes to the on-link DIP)',
      '70 HTTP_GET: "fwmark" not converted (probes are not marked)',
      '75 warmup not converted: Fulcrum checks at once',
      '77 HTTP_GET: "log_all_failures" not converted (Fulcrum logs every state change, not each failure)',
      '78 HTTP_GET: "http_protocol" not converted (Fulcrum speaks HTTP/1.1 with "Connection: close")',
      '79 HTTP_GET: "fast_recovery" not converted (Fulcrum checks at the delay loop)',
      '85 url: "regex" not converted (Fulcrum checks the status and the digest, not the body by pattern)',
      '86 url: "regex_no_match" not converted (no regex)',
      '87 url: "regex_options" not converted (no regex)',
      '88 url: "regex_stack" not converted (no regex)',
      '89 url: "regex_min_offset" not converted (no regex)',
      '90 url: "regex_max_offset" not converted (no regex)',
      '91 url: "tls_compliant" not converted (Fulcrum closes TLS cleanly)',
      '101 SSL_GET: "enable_sni" not converted (Fulcrum sends the virtualhost as SNI)',
      '102 SSL_GET: "sni_name" not converted (Fulcrum sends the virtualhost as SNI)',
      '103 SSL_GET: "tls_compliant" not converted (Fulcrum closes TLS cleanly)',
      '121 SMTP_CHECK host: "bindto 198.19.0.1" not converted',
      '123 SMTP_CHECK: Fulcrum checks one host - only the first host block is converted',
      '136 virtual_server: "flag-3" not converted (no Fulcrum scheduler uses it)',
      '137 hashed (IPVS "sh"/"mh" hashing flag for generic schedulers) not converted',
      '158 MISC_CHECK: user "nobody" not converted (the command runs as the daemon\'s user)',
      '166 FILE_CHECK is not supported by Fulcrum health checks - not converted',
      '171 BFD_CHECK is not supported by Fulcrum health checks - not converted',
      '186 lvs_method: tunnel options "type gue port 6080" not converted (Fulcrum tunnels are IPIP)',
      '190 virtual_server fwmark: firewall-mark services are not supported by Fulcrum - not converted',
      '196 SSL (the client certificate of SSL_GET) not converted: Fulcrum\'s SSL_GET presents no certificate',
    ]);
  });

  it('merged into a base config, the LIP group\'s addresses become LIPs on the port that reaches the servers, and it validates', () => {
    const base = {
      dataplane: { workers: [1] },
      ports: [
        { name: 'client', device: 'ring', addresses: [{ ip: '198.18.0.1/24', role: 'dip' }, ...[110, 111, 112, 120, 121].map((n) => ({ ip: `198.18.0.${n}/32`, role: 'vip' }))] },
        { name: 'servers', device: 'ring', addresses: [{ ip: '198.19.0.1/24', role: 'dip' }, { ip: '198.19.0.2/24', role: 'lip' }] },
      ],
    };
    const m = mergeImport(base, r.config) as typeof base;
    assert.deepEqual(m.ports[1]!.addresses, [
      { ip: '198.19.0.1/24', role: 'dip' }, { ip: '198.19.0.2/24', role: 'lip' },
      { ip: '198.19.0.3/24', role: 'lip' }, { ip: '198.19.0.4/24', role: 'lip' },
    ]);
    assert.equal(base.ports[1]!.addresses.length, 2, 'the base is not modified');
    const v = validateConfig(m);
    assert.ok(v.ok, v.ok ? '' : JSON.stringify(v.errors));
  });
});
