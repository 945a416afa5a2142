#!/usr/bin/env python3
"""Reference outputs of ipvsadm 1.31 for scenario.json (IPv4) and
scenario-ipv6.json (both families).

Written independently of the TypeScript formatter: every line below is the
printf() format string from ipvsadm.c (print_title, print_service_entry,
print_largenum, list_conn/print_conn, list_timeout, list_all), rendered with
Python's %-operator, which implements C printf conversions. Run it to
regenerate the *.txt fixtures; the unit tests compare byte for byte.
"""
import json, os, socket, struct
HERE = os.path.dirname(os.path.abspath(__file__))

PROTO = {'tcp': 6, 'udp': 17}
FWD = {'nat': 'Masq', 'tun': 'Tunnel', 'dr': 'Route', 'fullnat': 'FullNat'}
SW = {'nat': '-m', 'tun': '-i', 'dr': '-g', 'fullnat': '--fullnat'}

def v6(a): return ':' in a

def af(a): return socket.AF_INET6 if v6(a) else socket.AF_INET   # 10 and 2: IPv4 sorts first

def ip(a):
    """The address as libipvs compares it: its 32-bit words in host order."""
    if v6(a):
        return struct.unpack('!4I', socket.inet_pton(socket.AF_INET6, a))
    p = [int(x) for x in a.split('.')]
    return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3],)

def addrport(a, port):
    """addrport_to_anyname() with FMT_NUMERIC: an IPv6 address in brackets, as inet_ntop prints it."""
    if v6(a):
        return '[%s]:%u' % (socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, a)), port)
    return '%s:%u' % (a, port)

def largenum(i, exact=False):
    if exact:
        n = len('%d' % i)
        return '%*d' % (9 if n <= 8 else n + 1, i)
    if i < 100000000: return '%9d' % i
    if i < 1000000000: return '%8dK' % (i // 1000)
    if i < 100000000000: return '%8dM' % (i // 1000000)
    if i < 100000000000000: return '%8dG' % (i // 1000000000)
    return '%8dT' % (i // 1000000000000)

def g(d, k): return (d or {}).get(k, 0)

def listing(sc, fmt):
    cfg = sc['config']
    # ipvs_cmp_services(): family, protocol, address, port
    services = sorted(cfg['services'], key=lambda s: (af(s['vip']), PROTO[s['protocol']], ip(s['vip']), s['port']))
    stats = {s['id']: s for s in sc['stats']['services']}
    out = 'IP Virtual Server version %d.%d.%d (size=%d)\n' % (1, 2, 1, 4096) if fmt != 'rule' else ''
    if fmt == 'stats':
        out += '%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n' % ('Prot LocalAddress:Port', 'Conns', 'InPkts', 'OutPkts', 'InBytes', 'OutBytes')
    elif fmt == 'rate':
        out += '%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n' % ('Prot LocalAddress:Port', 'CPS', 'InPPS', 'OutPPS', 'InBPS', 'OutBPS')
    elif fmt == 'thresholds':
        out += '%-33s %-10s %-10s %-10s %-10s\n  -> RemoteAddress:Port\n' % ('Prot LocalAddress:Port', 'Uthreshold', 'Lthreshold', 'ActiveConn', 'InActConn')
    elif fmt == 'persistent-conn':
        out += '%-33s %-9s %-11s %-10s %-10s\n  -> RemoteAddress:Port\n' % ('Prot LocalAddress:Port', 'Weight', 'PersistConn', 'ActiveConn', 'InActConn')
    elif fmt != 'rule':
        out += 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n'
    for s in services:
        vname = addrport(s['vip'], s['port'])
        st = stats.get('%s:%s' % (s['protocol'], vname))
        flags = ','.join(s['schedFlags'])
        if fmt == 'rule':
            svc_name = '%s %s' % ({'tcp': '-t', 'udp': '-u'}[s['protocol']], vname)
            out += '-A %s -s %s' % (svc_name, s['scheduler'])
            if s['persistence']:
                out += ' -p %u' % s['persistence']['timeout']
                if s['persistence']['netmask'] != '255.255.255.255':
                    out += ' -M %s' % s['persistence']['netmask']
            if flags: out += ' -b ' + flags
        else:
            svc_name = '%-4s %s' % (s['protocol'].upper(), vname)
            if not v6(s['vip']): svc_name = svc_name[:33]   # an IPv6 name is never cut
            if fmt == 'stats':
                out += '%-33s' % svc_name + ''.join(largenum(g(st, k)) for k in ('conns', 'inPkts', 'outPkts', 'inBytes', 'outBytes'))
            elif fmt == 'rate':
                out += '%-33s' % svc_name + ''.join(largenum(g(st, k)) for k in ('cps', 'inPps', 'outPps', 'inBps', 'outBps'))
            else:
                out += '%s %s' % (svc_name, s['scheduler'])
                if flags: out += ' (' + flags + ')'
                if s['persistence']:
                    out += ' persistent %u' % s['persistence']['timeout']
                    if s['persistence']['netmask'] != '255.255.255.255':
                        out += ' mask %s' % s['persistence']['netmask']
        out += '\n'
        sst = {d['id']: d for d in (st or {}).get('servers', [])}
        for e in sorted(s['servers'], key=lambda d: (ip(d['address']), d['port'])):
            dname = addrport(e['address'], e['port'])
            c = sst.get(dname)
            if fmt == 'rule':
                # ipvsadm 1.31 print_tunnel_rule(): tunnelled servers name their type
                tun = ' --tun-type ipip' if e['method'] == 'tun' else ''
                out += '-a %s -r %s %s -w %d%s\n' % (svc_name, dname, SW[e['method']], e['weight'], tun)
                continue
            if not v6(s['vip']): dname = dname[:28]
            if fmt == 'stats':
                out += '  -> %-28s' % dname + ''.join(largenum(g(c, k)) for k in ('conns', 'inPkts', 'outPkts', 'inBytes', 'outBytes')) + '\n'
            elif fmt == 'rate':
                out += '  -> %-28s %8u %8u %8u' % (dname, g(c, 'cps'), g(c, 'inPps'), g(c, 'outPps')) + largenum(g(c, 'inBps')) + largenum(g(c, 'outBps')) + '\n'
            elif fmt == 'thresholds':
                out += '  -> %-28s %-10u %-10u %-10u %-10u\n' % (dname, e.get('upperThreshold', 0), e.get('lowerThreshold', 0), g(c, 'activeConns'), g(c, 'inactConns'))
            elif fmt == 'persistent-conn':
                out += '  -> %-28s %-9u %-11u %-10u %-10u\n' % (dname, e['weight'], g(c, 'persistConns'), g(c, 'activeConns'), g(c, 'inactConns'))
            else:
                out += '  -> %-28s %-7s %-6d %-10u %-10u\n' % (dname, FWD[e['method']], e['weight'], g(c, 'activeConns'), g(c, 'inactConns'))
    return out

def conns(sc):
    out = 'IPVS connection entries\n'
    out += 'pro expire %-11s %-18s %-18s %s\n' % ('state', 'source', 'virtual', 'destination')
    for c in sc['sessions']:
        exp = '%02d:%02d' % (c['expires'] // 60, c['expires'] % 60)
        out += '%-3s %-6s %-11s %-18s %-18s %s\n' % (c['protocol'].upper(), exp, c['state'], c['client'], c['virtual'], c['server'])
    return out

sc = json.load(open(os.path.join(HERE, 'scenario.json')))
sc6 = json.load(open(os.path.join(HERE, 'scenario-ipv6.json')))
t = sc['config']['timeouts']
files = {
    'list-Ln.txt': listing(sc, 'default'),
    'list-Ln-stats.txt': listing(sc, 'stats'),
    'list-Ln-rate.txt': listing(sc, 'rate'),
    'list-Ln-thresholds.txt': listing(sc, 'thresholds'),
    'list-Ln-persistent-conn.txt': listing(sc, 'persistent-conn'),
    'list-Lnc.txt': conns(sc),
    'list-timeout.txt': 'Timeout (tcp tcpfin udp): %d %d %d\n' % (t['tcp'], t['tcpFin'], t['udp']),
    'save-Sn.txt': listing(sc, 'rule'),
    'ipv6-list-Ln.txt': listing(sc6, 'default'),
    'ipv6-list-Ln-stats.txt': listing(sc6, 'stats'),
    'ipv6-save-Sn.txt': listing(sc6, 'rule'),
}
for name, text in files.items():
    with open(os.path.join(HERE, name), 'w') as f:
        f.write(text)
