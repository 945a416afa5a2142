// Small servers and clients that the end-to-end tests run inside their
// namespaces (python3 standard library only).
import fs from 'node:fs';

/** The python3 interpreter. */
export const PY = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** HTTP server on :80 naming itself in the body (argv[1]); HTTP/1.0, closes every connection.
 * With argv[2] "log-peers", one "PEER <ip> <port>" line on stderr per request. argv[3]: the
 * address to listen on (default 0.0.0.0); an IPv6 one listens for IPv6 only, so that an
 * IPv4 server may share the port. */
export const NAMED_HTTP_SERVER_PY = String.raw`
import sys, socket, http.server, socketserver
name = sys.argv[1]
log_peers = len(sys.argv) > 2 and sys.argv[2] == 'log-peers'
bind = sys.argv[3] if len(sys.argv) > 3 else '0.0.0.0'
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.0'
    def do_GET(self):
        body = name.encode()
        self.send_response(200)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.send_header('Connection', 'close')
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, fmt, *args):
        if log_peers:
            sys.stderr.write('PEER %s %d\n' % (self.client_address[0], self.client_address[1]))
            sys.stderr.flush()
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    address_family = socket.AF_INET6 if ':' in bind else socket.AF_INET
    def server_bind(self):
        if self.address_family == socket.AF_INET6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        super().server_bind()
S((bind, 80), H).serve_forever()
`;

/** Paced TCP sender: connect, send FILE at RATE bytes/s, half-close, wait for the peer's close.
 * argv: host port file rate. */
export const PACED_SENDER_PY = String.raw`
import sys, socket, time
host, port, fname, rate = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
s = socket.create_connection((host, port), timeout=10)
s.settimeout(30)
sys.stdout.write('connected %s:%d\n' % s.getsockname()); sys.stdout.flush()
chunk = 32768
sent = 0
t0 = time.monotonic()
with open(fname, 'rb') as f:
    while True:
        b = f.read(chunk)
        if not b:
            break
        s.sendall(b)
        sent += len(b)
        ahead = sent / rate - (time.monotonic() - t0)
        if ahead > 0:
            time.sleep(ahead)
s.shutdown(socket.SHUT_WR)
while s.recv(65536):
    pass
s.close()
sys.stdout.write('done %d bytes in %.1f s\n' % (sent, time.monotonic() - t0)); sys.stdout.flush()
`;

/**
 * A bounded SYN flood: `count` SYNs to dst:port from random sources
 * a.b.c-255.1-254 (srcBase "a.b.c"), at most `pps` per second and
 * for at most `maxS` seconds, over a raw socket. Prints "sent N in S s".
 * argv: dst port srcBase count pps maxS
 */
export const SYN_FLOOD_PY = String.raw`
import sys, socket, struct, random, time
dst, port, net, count, pps, max_s = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
a, b, c = (int(x) for x in net.split('.'))
d = socket.inet_aton(dst)
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
def csum(data):
    if len(data) % 2: data += b'\0'
    t = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while t >> 16: t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff
sent, t0, batch = 0, time.monotonic(), 64
while sent < count and time.monotonic() - t0 < max_s:
    for _ in range(min(batch, count - sent)):
        src = bytes((a, b, random.randint(c, 255), random.randint(1, 254)))
        sport, seq = random.randint(1024, 65535), random.getrandbits(32)
        tcp = struct.pack('!HHIIBBHHH', sport, port, seq, 0, 5 << 4, 0x02, 64240, 0, 0)
        tcp = tcp[:16] + struct.pack('!H', csum(src + d + struct.pack('!BBH', 0, 6, 20) + tcp)) + tcp[18:]
        ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 40, 0, 0x4000, 64, 6, 0, src, d)
        s.sendto(ip + tcp, (dst, 0))
        sent += 1
    ahead = sent / pps - (time.monotonic() - t0)
    if ahead > 0: time.sleep(ahead)
print('sent %d in %.2f s' % (sent, time.monotonic() - t0), flush=True)
`;

/**
 * A long-lived TCP conversation: connect to host:port, send a numbered line
 * every `intervalMs` for `seconds`, and check each echo. Prints "connected"
 * once, then "done <exchanges> <errors> <max gap ms>". argv: host port seconds intervalMs
 */
export const ECHO_TALKER_PY = String.raw`
import sys, socket, time
host, port, secs, iv = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]) / 1000
s = socket.create_connection((host, port), timeout=5)
s.settimeout(5)
print('connected', flush=True)
f = s.makefile('rb')
n = errors = 0
gap = 0.0
t0 = last = time.monotonic()
while time.monotonic() - t0 < secs:
    msg = b'line %d\n' % n
    try:
        s.sendall(msg)
        if f.readline() != msg: errors += 1
    except Exception:
        errors += 1
        break
    now = time.monotonic()
    gap = max(gap, now - last)
    last = now
    n += 1
    time.sleep(iv)
print('done %d %d %d' % (n, errors, gap * 1000), flush=True)
`;

/**
 * An echo server for many long-lived connections (a thread each).
 * argv: port
 */
export const ECHO_SERVER_PY = String.raw`
import socketserver, sys
class Echo(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            self.wfile.write(line)
class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 256
Server(('0.0.0.0', int(sys.argv[1])), Echo).serve_forever()
`;

/**
 * n long-lived connections to host:port, each sending a line every iv ms
 * for secs seconds and reading it back. Prints one JSON line: connections
 * opened, those that ended without an error (a lost one: a reset, a 5 s
 * stall or a wrong echo), lines exchanged, the longest wait for an answer
 * and its wall-clock end (s), and each connection's fate by its local port
 * (true, or the error). argv: host port n secs iv [stall_s (default 5)]
 */
export const MULTI_TALKER_PY = String.raw`
import json, socket, sys, threading, time
host, port, n, secs, iv = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]) / 1000
stall = float(sys.argv[6]) if len(sys.argv) > 6 else 5.0
res = []
lock = threading.Lock()
start = threading.Event()
def talk(i):
    r = {'ok': False, 'lines': 0, 'gap': 0.0, 'gap_end': 0.0, 'error': None, 'port': None}
    try:
        s = socket.create_connection((host, port), timeout=5)
        r['port'] = s.getsockname()[1]
        s.settimeout(stall)
        f = s.makefile('rb')
        start.wait()
        t0 = last = time.monotonic()
        while time.monotonic() - t0 < secs:
            msg = b'%d line %d\n' % (i, r['lines'])
            s.sendall(msg)
            if f.readline() != msg:
                raise Exception('wrong echo')
            now = time.monotonic()
            if now - last > r['gap']:
                r['gap'], r['gap_end'] = now - last, time.time()
            last = now
            r['lines'] += 1
            time.sleep(iv)
        s.close()
        r['ok'] = True
    except Exception as e:
        r['error'] = repr(e)
    with lock:
        res.append(r)
ts = [threading.Thread(target=talk, args=(i,)) for i in range(n)]
for t in ts: t.start()
time.sleep(1.0)
print('connected', flush=True)
start.set()
for t in ts: t.join()
worst = max(res, key=lambda r: r['gap'])
print(json.dumps({'conns': n, 'ok': sum(r['ok'] for r in res), 'lines': sum(r['lines'] for r in res),
                  'max_gap_ms': round(worst['gap'] * 1000, 1), 'gap_end': worst['gap_end'],
                  'errors': [r['error'] for r in res if r['error']][:5],
                  'by_port': {str(r['port']): r['ok'] or r['error'] for r in res if r['port']}}), flush=True)
`;

/**
 * Hostile IPVS sync messages to 224.0.0.81:8848 from `src` (its address,
 * the multicast interface): 100 random datagrams of 1-7 bytes and wrong
 * sizes, then 20 each with another sync id (7 is the tests'), version 0, a
 * connection running past the end, and a TCP state no IPVS has (99).
 * argv: src
 */
export const HOSTILE_SYNC_PY = String.raw`
import os, socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(sys.argv[1]))
to = ('224.0.0.81', 8848)
def conn(state=1, size=36):
    return struct.pack('!BBHIHHHHII4s4s4s', 0, 6, size, 5, state, 40000, 80, 80, 0, 900,
                       socket.inet_aton('198.18.0.10'), socket.inet_aton('198.18.0.100'), socket.inet_aton('198.19.0.11'))
def msg(body, n=1, syncid=7, version=1, reserved=0):
    return struct.pack('!BBHBbH', reserved, syncid, 8 + len(body), n, version, 0) + body
for i in range(100):
    s.sendto(os.urandom(1 + i % 7), to)
for i in range(20):
    s.sendto(msg(conn(), syncid=9), to)
    s.sendto(msg(conn(), reserved=1), to)
    s.sendto(msg(conn(size=200)), to)
    s.sendto(msg(conn(state=99)), to)
`;
