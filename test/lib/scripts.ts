// Small servers and clients that the end-to-end tests run inside their
// namespaces (python3 standard library only).
import fs from 'node:fs';

/** The python3 interpreter. */
export const PY = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** HTTP server on :80 naming itself in the body (argv[1]); HTTP/1.0, closes every connection.
 * With argv[2] "log-peers", one "PEER <ip> <port>" line on stderr per request. */
export const NAMED_HTTP_SERVER_PY = String.raw`
import sys, http.server, socketserver
name = sys.argv[1]
log_peers = len(sys.argv) > 2 and sys.argv[2] == 'log-peers'
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
S(('0.0.0.0', 80), H).serve_forever()
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
