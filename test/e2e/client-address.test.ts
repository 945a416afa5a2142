// End-to-end: the client's address for real servers behind FULLNAT, by the
// PROXY protocol, with real servers that parse it:
//
//   - :80  -> nginx (http, `listen 8080 proxy_protocol`, v1): answers
//             "<name>:$proxy_protocol_addr" and logs $proxy_protocol_addr
//   - :81  -> HAProxy (`bind :8081 accept-proxy`, v2): answers "<name>:%[src]"
//   - :82  -> nginx (http, v2): a 100 MB download
//   - :83  -> nginx (stream, v1): relays to a local socat that hashes the
//             stream: a 100 MB upload, every client byte shifted by the header
//   - :25  -> nginx (stream, v1): `return` a banner naming the client, at
//             once: the client sends nothing (server speaks first)
//
// Needs root (network namespaces); without root every case skips loudly.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { deepMerge, skipUnlessRoot, standardDirectorConfig, waitFor } from '../lib/netns';
import { curlMany, tally } from '../lib/curl';
import { randomFile, sha256File } from '../lib/files';
import { onRealServers, startStandardDirector, type StandardDirector } from '../lib/standard-director';

const SKIP = skipUnlessRoot();
if (SKIP) process.stderr.write(`\n!!!!!!!! e2e/client-address SKIPPED: ${SKIP} !!!!!!!!\n\n`);

const VIP = '198.18.0.100';
const LIP = '198.19.0.2';
const CLIENT = '198.18.0.10';
const RS = ['198.19.0.11', '198.19.0.12', '198.19.0.13'] as const;
const API = 'http://127.0.0.1:9180/api/v1';
const log = (m: string): void => void process.stderr.write(`[client-address] ${m}\n`);

function svc(port: number, rport: number, proxyProtocol: 'v1' | 'v2', servers: readonly string[] = RS): Record<string, unknown> {
  return {
    protocol: 'tcp', vip: VIP, port, scheduler: 'rr', lipPool: 'default', proxyProtocol,
    servers: servers.map((a) => ({ address: a, port: rport, weight: 1, method: 'fullnat' })),
  };
}

function nginxConf(work: string, name: string): string {
  const dir = path.join(work, name);
  return `
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
user root;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 2048; }
http {
  access_log ${dir}/access.log;
  log_format pp '$proxy_protocol_addr $proxy_protocol_port $remote_addr';
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  server {
    listen 8080 proxy_protocol;
    access_log ${dir}/pp.log pp;
    location / { default_type text/plain; return 200 "${name}:$proxy_protocol_addr"; }
  }
  server {
    listen 8082 proxy_protocol;
    location /big { alias ${work}/big.bin; }
  }
}
stream {
  server { listen 8083 proxy_protocol; proxy_pass 127.0.0.1:5002; }
  server { listen 2525 proxy_protocol; return "220 ${name} $proxy_protocol_addr:$proxy_protocol_port\\r\\n"; }
}
`;
}

function haproxyConf(name: string): string {
  return `
global
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend fe
  bind :8081 accept-proxy
  http-request return status 200 content-type text/plain lf-string "${name}:%[src]"
`;
}

function config(): Record<string, unknown> {
  return deepMerge(standardDirectorConfig(), {
    lipPools: { default: [LIP] },
    services: [
      svc(80, 8080, 'v1'), svc(81, 8081, 'v2'), svc(82, 8082, 'v2', [RS[0]]), svc(83, 8083, 'v1', [RS[1]]),
      svc(25, 2525, 'v1', [RS[2]]),
    ],
  });
}

async function stats(sd: StandardDirector): Promise<{ workers: Array<{ role?: string; tcpEdits?: Record<string, number> }> }> {
  const r = await sd.st.topo.exec('dir', 'curl', ['-s', '--max-time', '5', `${API}/stats`], { timeoutMs: 10_000 });
  return JSON.parse(r.stdout);
}
const headersSent = async (sd: StandardDirector): Promise<number> =>
  (await stats(sd)).workers.reduce((a, w) => a + (w.tcpEdits?.proxy_header_sent ?? 0), 0);

describe('e2e PROXY protocol through FULLNAT: nginx and HAProxy see the client', { skip: SKIP }, () => {
  let sd: StandardDirector | undefined;
  let upload: { file: string; sha: string };
  let big: { file: string; sha: string };

  before(async () => {
    sd = await startStandardDirector({
      suite: 'client-address',
      config: config(),
      prepare: async (st, work) => {
        big = randomFile(work, 'big.bin', 100);
        upload = randomFile(work, 'upload.bin', 100);
        for (let i = 0; i < 3; i++) {
          const name = `rs${i + 1}`;
          fs.mkdirSync(path.join(work, name), { recursive: true });
          fs.writeFileSync(path.join(work, name, 'nginx.conf'), nginxConf(work, name));
          fs.writeFileSync(path.join(work, name, 'haproxy.cfg'), haproxyConf(name));
          st.topo.spawn(name, 'nginx', ['-p', path.join(work, name), '-c', path.join(work, name, 'nginx.conf'), '-g', 'daemon off;']);
          st.topo.spawn(name, 'haproxy', ['-db', '-f', path.join(work, name, 'haproxy.cfg')]);
          st.topo.spawn(name, 'socat', ['-u', 'TCP4-LISTEN:5002,bind=127.0.0.1,reuseaddr,fork', `SYSTEM:sha256sum >>${work}/${name}.sha`]);
        }
      },
      listeners: onRealServers(3, [8080, 8081, 8082, 8083, 2525, 5002]),
    });
  }, { timeout: 180_000 });

  after(async () => {
    await sd?.stop();
  }, { timeout: 60_000 });

  test('nginx (v1): 1,000 connections, every one names the client, and its log has the client for each', { timeout: 180_000 }, async () => {
    const before = await headersSent(sd!);
    const rs = await curlMany(sd!.st.topo, 'cli', `http://${VIP}:80`, 1000, { batch: 100 });
    const bad = rs.filter((r) => r.code !== '200' || !r.server.endsWith(`:${CLIENT}`));
    assert.equal(bad.length, 0, `${bad.length} answers did not name ${CLIENT}, first: ${JSON.stringify(bad.slice(0, 5))}\n${sd!.director.logs()}`);
    const t = tally(rs.map((r) => ({ server: r.server.split(':')[0]! })));
    assert.deepEqual(Object.values(t).sort(), [333, 333, 334], `rr split ${JSON.stringify(t)}`);
    let logged = 0;
    for (let i = 1; i <= 3; i++) {
      const lines = fs.readFileSync(path.join(sd!.work, `rs${i}`, 'pp.log'), 'utf8').trim().split('\n');
      for (const l of lines) {
        const [pp, , peer] = l.split(' ');
        assert.equal(pp, CLIENT, `rs${i} logged $proxy_protocol_addr ${pp}`);
        assert.equal(peer, LIP, `rs${i}: the TCP peer is the LIP`);
        logged++;
      }
    }
    assert.equal(logged, 1000, 'one log line per connection');
    const sent = (await headersSent(sd!)) - before;
    log(`nginx: 1000 connections, ${sent} PROXY headers sent, split ${JSON.stringify(t)}`);
    assert.equal(sent, 1000, 'one header per connection (proxy_header_sent)');
  });

  test('HAProxy (v2, accept-proxy): 1,000 connections, every one names the client', { timeout: 180_000 }, async () => {
    const rs = await curlMany(sd!.st.topo, 'cli', `http://${VIP}:81`, 1000, { batch: 100 });
    const bad = rs.filter((r) => r.code !== '200' || !r.server.endsWith(`:${CLIENT}`));
    assert.equal(bad.length, 0, `${bad.length} answers did not name ${CLIENT}, first: ${JSON.stringify(bad.slice(0, 5))}`);
    const t = tally(rs.map((r) => ({ server: r.server.split(':')[0]! })));
    assert.deepEqual(Object.keys(t).sort(), ['rs1', 'rs2', 'rs3']);
  });

  test('a 100 MB download from nginx (v2) arrives intact', { timeout: 200_000 }, async () => {
    const out = path.join(sd!.work, 'download.bin');
    const t0 = Date.now();
    const r = await sd!.st.topo.exec('cli', 'curl', ['-s', '-o', out, '-w', '%{http_code}', '--max-time', '150', `http://${VIP}:82/big`],
      { allowFail: true, timeoutMs: 160_000 });
    assert.equal(r.stdout, '200', `curl: ${r.stdout} ${r.stderr}`);
    assert.equal(sha256File(out), big.sha, 'sha256 of the download');
    log(`100 MB download in ${Date.now() - t0} ms`);
  });

  test('a 100 MB upload through nginx stream (v1) arrives intact: every client byte shifted by the header', { timeout: 200_000 }, async () => {
    const sha = path.join(sd!.work, 'rs2.sha');
    const t0 = Date.now();
    const r = await sd!.st.topo.exec('cli', 'socat', ['-u', `FILE:${upload.file}`, `TCP4:${VIP}:83,connect-timeout=5`],
      { allowFail: true, timeoutMs: 160_000 });
    assert.equal(r.code, 0, `socat: ${r.stderr}`);
    const got = await waitFor(() => (fs.existsSync(sha) ? fs.readFileSync(sha, 'utf8').trim().split(/\s+/)[0] || null : null),
      30_000, { what: 'rs2 to hash the upload', intervalMs: 200 });
    assert.equal(got, upload.sha, 'sha256 of the upload as the server received it');
    log(`100 MB upload in ${Date.now() - t0} ms`);
  });

  test('server speaks first: the banner names the client, who sent nothing', { timeout: 30_000 }, async () => {
    for (let i = 0; i < 5; i++) {
      const r = await sd!.st.topo.exec('cli', 'socat', ['-u', `TCP4:${VIP}:25,connect-timeout=3`, '-'], { allowFail: true, timeoutMs: 10_000 });
      assert.match(r.stdout, new RegExp(`^220 rs3 ${CLIENT.replace(/\./g, '\\.')}:\\d+\\r\\n$`), `banner: ${JSON.stringify(r.stdout)} ${r.stderr}`);
    }
  });
});
