// End-to-end metrics: the real `fulcrum daemon` in a director namespace with a
// FULLNAT HTTP service over three real servers, real traffic (200 curls), a
// real Prometheus scraping GET /metrics every second from inside the director
// namespace (the API listens on 127.0.0.1:9180 there), then:
//
//   - the live /metrics text passes `promtool check metrics`;
//   - the counters saw the traffic (node_ipvs_connections_total >= 200);
//   - EVERY PromQL expression of every panel of
//     appliance/grafana/fulcrum-dashboard.json returns a non-empty result
//     through Prometheus' /api/v1/query, and every template variable has values.
//
// Needs root (namespaces) and the `prometheus` Debian package (scripts/setup.sh
// installs it). Without root every case skips loudly; as root nothing skips.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  deepMerge,
  repoRoot,
  skipUnlessRoot,
  sleep,
  standardDirectorConfig,
  waitFor,
  type Spawned,
} from '../lib/netns';
import { onRealServers, startStandardDirector, type StandardDirector } from '../lib/standard-director';
import { PY, NAMED_HTTP_SERVER_PY } from '../lib/scripts';

const SKIP = skipUnlessRoot();
if (SKIP) process.stderr.write(`\n!!!!!!!! e2e/metrics SKIPPED: ${SKIP} !!!!!!!!\n\n`);

const VIP = '198.18.0.100';
const LIP = '198.19.0.2';
const RS = ['198.19.0.11', '198.19.0.12', '198.19.0.13'] as const;
const PROM_PORT = 19090;
const PROM = `http://127.0.0.1:${PROM_PORT}`;
const CURLS = 200;

const log = (msg: string): void => {
  process.stderr.write(`[metrics] ${msg}\n`);
};


function directorConfig(): Record<string, unknown> {
  return deepMerge(standardDirectorConfig(), {
    lipPools: { default: [LIP] },
    services: [
      {
        protocol: 'tcp',
        vip: VIP,
        port: 80,
        scheduler: 'rr',
        lipPool: 'default',
        expireNodestConn: false,
        servers: RS.map((a) => ({ address: a, port: 80, weight: 1, method: 'fullnat' })),
      },
    ],
  });
}

/** Every panel target of the dashboard: [panel title, expr]. */
function dashboardExprs(): Array<{ panel: string; expr: string }> {
  const file = path.join(repoRoot(), 'appliance', 'grafana', 'fulcrum-dashboard.json');
  const dash = JSON.parse(fs.readFileSync(file, 'utf8')) as { panels: Array<{ type: string; title: string; targets?: Array<{ expr?: string }>; panels?: unknown[] }> };
  const out: Array<{ panel: string; expr: string }> = [];
  const walk = (ps: typeof dash.panels): void => {
    for (const p of ps) {
      for (const t of p.targets ?? []) if (t.expr) out.push({ panel: p.title, expr: t.expr });
      if (Array.isArray(p.panels)) walk(p.panels as typeof dash.panels);
    }
  };
  walk(dash.panels);
  return out;
}

/** Grafana's variables, substituted as Grafana would with "All" selected. */
function substitute(expr: string): string {
  return expr
    .replace(/\$__rate_interval|\$\{__rate_interval\}/g, '15s')
    .replace(/\$__interval|\$\{__interval\}/g, '15s')
    .replace(/\$__range|\$\{__range\}/g, '1m')
    .replace(/\$\{?(instance|service|port)\}?/g, '.*');
}

interface Fixture extends StandardDirector {
  prom: Spawned;
}

describe('e2e metrics: Prometheus scrapes the appliance; every dashboard query has data', { skip: SKIP }, () => {
  let fx: Fixture | undefined;

  /** curl run inside the director namespace (Prometheus and the API live on its loopback). */
  const dirCurl = async (args: string[], timeoutMs = 10_000): Promise<string> => {
    const r = await fx!.st.topo.exec('dir', 'curl', ['-sS', '--max-time', String(Math.ceil(timeoutMs / 1000)), ...args], { allowFail: true, timeoutMs: timeoutMs + 2000 });
    if (r.code !== 0) throw new Error(`curl ${args.join(' ')} failed (exit ${r.code}): ${r.stderr}`);
    return r.stdout;
  };

  interface PromResult { metric: Record<string, string>; value: [number, string] }
  const query = async (expr: string): Promise<PromResult[]> => {
    const body = await dirCurl(['--data-urlencode', `query=${expr}`, `${PROM}/api/v1/query`]);
    const j = JSON.parse(body) as { status: string; error?: string; data?: { resultType: string; result: PromResult[] } };
    if (j.status !== 'success') throw new Error(`query ${expr}: ${j.error ?? body}`);
    return j.data!.result;
  };

  before(async () => {
    const have = spawnSync('prometheus', ['--version'], { encoding: 'utf8' }).status === 0;
    if (!have) {
      log('prometheus missing: installing the Debian package');
      spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'prometheus'], {
        stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 300_000,
      });
    }
    assert.equal(spawnSync('prometheus', ['--version']).status, 0, 'prometheus is required (apt-get install prometheus; scripts/setup.sh)');

    const sd = await startStandardDirector({
      suite: 'metrics',
      config: directorConfig(),
      prepare: (st) => {
        for (let i = 0; i < 3; i++) st.topo.spawn(`rs${i + 1}`, PY, ['-u', '-c', NAMED_HTTP_SERVER_PY, `rs${i + 1}`]);
      },
      listeners: onRealServers(3, [80]),
    });
    const { st, work } = sd;
    try {
      await waitFor(async () => {
        const r = await st.topo.exec('dir', 'curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '2', 'http://127.0.0.1:9180/metrics'], { allowFail: true });
        return r.stdout.trim() === '200';
      }, 20_000, { what: 'GET /metrics on 127.0.0.1:9180 in the director namespace', intervalMs: 250 });

      const promCfg = path.join(work, 'prometheus.yml');
      fs.writeFileSync(promCfg, [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        '  evaluation_interval: 1s',
        'scrape_configs:',
        '  - job_name: fulcrum',
        '    metrics_path: /metrics',
        '    static_configs:',
        "      - targets: ['127.0.0.1:9180']",
        '',
      ].join('\n'));
      const prom = st.topo.spawn('dir', 'prometheus', [
        `--config.file=${promCfg}`,
        `--storage.tsdb.path=${path.join(work, 'data')}`,
        `--web.listen-address=127.0.0.1:${PROM_PORT}`,
        '--log.level=warn',
      ]);
      fx = { ...sd, prom };
      await waitFor(async () => (await dirCurl([`${PROM}/-/ready`], 3000)).includes('Ready'), 30_000, { what: 'Prometheus ready', intervalMs: 300 });
    } catch (e) {
      await sd.stop();
      fx = undefined;
      throw e;
    }
  });

  after(async () => {
    if (!fx) return;
    try {
      await fx.prom.stop('SIGTERM', 5000);
    } finally {
      await fx.stop();
    }
  });

  test('traffic is counted, /metrics passes promtool, every dashboard query returns data', async () => {
    assert.ok(fx, 'fixture not set up');
    // The client's first packets race ARP; a ping settles it.
    await fx.st.topo.exec('cli', 'ping', ['-n', '-c', '3', '-i', '0.2', '-W', '2', VIP], { allowFail: true, timeoutMs: 10_000 });
    // A couple of scrapes before the traffic, so rates have a baseline.
    await waitFor(async () => {
      const r = await query('count_over_time(fulcrum_dataplane_up[1m])');
      return Number(r[0]?.value[1] ?? 0) >= 2;
    }, 20_000, { what: 'two scrapes of the appliance', intervalMs: 500 });

    let ok = 0;
    for (let done = 0; done < CURLS; done += 50) {
      const args = ['-s', '-H', 'Connection: close', '--max-time', '5', '--connect-timeout', '3', '-w', '%{http_code}\n'];
      // -o applies to one URL only: one per URL.
      for (let i = 0; i < 50; i++) args.push('-o', '/dev/null', `http://${VIP}/m${done + i}`);
      const r = await fx.st.topo.exec('cli', 'curl', args, { allowFail: true, timeoutMs: 50 * 6_000 + 5_000 });
      ok += r.stdout.split('\n').filter((l) => l.trim() === '200').length;
    }
    log(`${ok}/${CURLS} requests answered 200`);
    assert.equal(ok, CURLS, `every request through the VIP should succeed\n${fx.director.logs()}`);

    // The live exposition is valid.
    const text = await dirCurl(['http://127.0.0.1:9180/metrics']);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
    assert.equal(check.status, 0, `promtool check metrics on the live /metrics:\n${check.stdout}${check.stderr}`);

    // Wait until Prometheus has scraped the traffic (bounded), then a few more scrapes.
    const total = await waitFor(async () => {
      const r = await query('node_ipvs_connections_total{job="fulcrum"}');
      const v = Number(r[0]?.value[1] ?? 0);
      return v >= CURLS ? v : 0;
    }, 30_000, { what: `node_ipvs_connections_total >= ${CURLS} in Prometheus`, intervalMs: 500 });
    log(`node_ipvs_connections_total = ${total}`);
    await sleep(3_000);

    const perRs = await query('sum by (remote_address) (fulcrum_backend_connections_total)');
    assert.equal(perRs.length, 3, `one series per real server: ${JSON.stringify(perRs)}`);
    for (const r of perRs) assert.ok(Number(r.value[1]) > 0, `${r.metric.remote_address} got connections`);
    const up = await query('min(up{job="fulcrum"})');
    assert.equal(up[0]?.value[1], '1', 'the scrape target is up');

    // Every dashboard panel query.
    const exprs = dashboardExprs();
    assert.ok(exprs.length >= 20, `dashboard has ${exprs.length} queries`);
    const empty: string[] = [];
    for (const { panel, expr } of exprs) {
      const q = substitute(expr);
      const r = await query(q);
      if (r.length === 0) empty.push(`${panel}: ${q}`);
    }
    log(`${exprs.length - empty.length}/${exprs.length} dashboard queries returned data`);
    assert.deepEqual(empty, [], `dashboard queries with no data:\n${empty.join('\n')}`);

    // Template variables (label_values(metric, label)) through the series API.
    const dash = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'appliance', 'grafana', 'fulcrum-dashboard.json'), 'utf8')) as {
      templating: { list: Array<{ name: string; type: string; definition?: string }> };
    };
    for (const v of dash.templating.list.filter((t) => t.type === 'query')) {
      const m = /^label_values\((.*),\s*(\w+)\)$/.exec(v.definition ?? '');
      assert.ok(m, `variable ${v.name}: label_values(metric, label) expected, got ${v.definition}`);
      const body = await dirCurl(['-G', '--data-urlencode', `match[]=${substitute(m[1]!)}`, `${PROM}/api/v1/label/${m[2]}/values`]);
      const vals = (JSON.parse(body) as { data: string[] }).data;
      assert.ok(vals.length > 0, `variable ${v.name} has no values: ${body}`);
    }
  });
});
