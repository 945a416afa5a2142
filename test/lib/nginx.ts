// nginx as the real server of the load tests and benchmarks: one worker, no
// access log, every temp path under the suite's work dir, HTTP/1.1 that
// closes every connection unless keepAlive (so the real server holds each LIP:lport pair in
// TIME_WAIT, as an HTTP server closing first does), answering its name.
import fs from 'node:fs';
import path from 'node:path';
import type { StandardTopology } from './netns';

export function nginxConf(dir: string, name: string, opts: { keepAlive?: boolean } = {}): string {
  const keep = opts.keepAlive ? '' : ' keepalive_timeout 0;';
  return `user root; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path ${dir}/b; proxy_temp_path ${dir}/p; fastcgi_temp_path ${dir}/f;
  uwsgi_temp_path ${dir}/u; scgi_temp_path ${dir}/s;${keep}
  server { listen 80 reuseport backlog=4096; location / { return 200 "${name}\\n"; } } }
`;
}

/** nginx on :80 in rs1..rsN (a `prepare` step of startStandardDirector). */
export function startNginxServers(st: StandardTopology, work: string, opts: { keepAlive?: boolean } = {}, n = 3): void {
  for (let i = 1; i <= n; i++) {
    const dir = path.join(work, `rs${i}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'nginx.conf'), nginxConf(dir, `rs${i}`, opts));
    st.topo.spawn(`rs${i}`, 'nginx', ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;']);
  }
}
