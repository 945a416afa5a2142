#!/usr/bin/env python3
"""Reference outputs of ipvsadm 1.31 for scenario.json.

Written independently of the TypeScript formatter: every line below is the
printf() format string from ipvsadm.c (print_title, print_service_entry,
print_largenum, list_conn/print_conn, list_timeout, list_all), rendered with
Python's %-operator, which implements C printf conversions. Run it to
regenerate the *.txt fixtures; the unit tests compare byte for byte.
"""
import json, os
HERE = os.path.dirname(os.path.abspath(__file__))
sc = json.load(open(os.path.join(HERE, 'scenario.json')))
cfg = sc['config']

PROTO = {'tcp': 6, 'udp': 17}
FWD = {'nat': 'Masq', 'tun': 'Tunnel', 'dr': 'Route', 'fullnat': 'FullNat'}
SW = {'nat': '-m', 'tun': '-i', 'dr': '-g', 'fullnat': '--fullnat'}

def ip(a):
    p = [int(x) for x in a.split('.')]
    return (p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]

services = sorted(cfg['services'], key=lambda s: (PROTO[s['protocol']], ip(s['vip']), s['port']))
stats = {s['id']: s for s in sc['stats']['services']}

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

def listing(fmt):
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
        vname = '%s:%u' % (s['vip'], s['port'])
        st = stats.get('%s:%s:%d' % (s['protocol'], s['vip'], s['port']))
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
            svc_name = ('%-4s %s' % (s['protocol'].upper(), vname))[:33]
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
            dname = '%s:%u' % (e['address'], e['port'])
            c = sst.get(dname)
            if fmt == 'rule':
                # ipvsadm 1.31 print_tunnel_rule(): tunnelled servers name their type
                tun = ' --tun-type ipip' if e['method'] == 'tun' else ''
                out += '-a %s -r %s %s -w %d%s\n' % (svc_name, dname, SW[e['method']], e['weight'], tun)
                continue
            dname = dname[:28]
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

def conns():
    out = 'IPVS connection entries\n'
    out += 'pro expire %-11s %-18s %-18s %s\n' % ('state', 'source', 'virtual', 'destination')
    for c in sc['sessions']:
        exp = '%02d:%02d' % (c['expires'] // 60, c['expires'] % 60)
        out += '%-3s %-6s %-11s %-18s %-18s %s\n' % (c['protocol'].upper(), exp, c['state'], c['client'], c['virtual'], c['server'])
    return out

t = cfg['timeouts']
files = {
    'list-Ln.txt': listing('default'),
    'list-Ln-stats.txt': listing('stats'),
    'list-Ln-rate.txt': listing('rate'),
    'list-Ln-thresholds.txt': listing('thresholds'),
    'list-Ln-persistent-conn.txt': listing('persistent-conn'),
    'list-Lnc.txt': conns(),
    'list-timeout.txt': 'Timeout (tcp tcpfin udp): %d %d %d\n' % (t['tcp'], t['tcpFin'], t['udp']),
    'save-Sn.txt': listing('rule'),
}
for name, text in files.items():
    with open(os.path.join(HERE, name), 'w') as f:
        f.write(text)
