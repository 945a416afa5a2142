// fulcrumadm's command runner: parse, talk to the API, print like ipvsadm.
// I/O is injected so tests can drive it without a daemon or a terminal.

import type { FulcrumConfig } from '../config/types';
import { applyIpvsadm, applyRestore, findService } from './apply';
import { ApiError, ApiUnreachable, DEFAULT_API, FulcrumApiClient, type FetchLike } from './client';
import {
  formatConnections, formatDaemons, formatLaddrs, formatList, formatSave, formatTimeout, normalizeSessions,
  normalizeStats, type PortResolver,
} from './format';
import { PROGRAM, isParseError, parseIpvsadm } from './parse';
import { serviceKey } from '../config/keys';
import { transportFromEnv } from './https';
import { SCHEDULERS } from '../native/vocabulary';

export interface RunIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  readStdin: () => Promise<string>;
  env: Record<string, string | undefined>;
  fetch?: FetchLike;
  resolvePort?: PortResolver;
}

export const VERSION_LINE = 'fulcrumadm v0.1.0 (ipvsadm v1.31 command set, Fulcrum HTTP API)';

export function usage(p = PROGRAM): string {
  return `${VERSION_LINE}
Usage:
  ${p} -A|E virtual-service [-s scheduler] [-p [timeout]] [-M netmask] [-b sched-flags]
  ${p} -D virtual-service
  ${p} -C
  ${p} -R
  ${p} -S [-n]
  ${p} -a|e virtual-service -r server-address [options]
  ${p} -d virtual-service -r server-address
  ${p} -L|l [virtual-service] [options]
  ${p} -Z [virtual-service]
  ${p} --set tcp tcpfin udp
  ${p} --start-daemon {master|backup} --mcast-interface interface [--syncid sid]
          [--sync-maxlen length] [--mcast-group address] [--mcast-port port] [--mcast-ttl ttl]
  ${p} --stop-daemon {master|backup}
  ${p} --add-laddr|--del-laddr virtual-service -z local-address
  ${p} --get-laddr [virtual-service]
  ${p} -h

Commands:
Either long or short options are allowed.
  --add-service     -A        add virtual service with options
  --edit-service    -E        edit virtual service with options
  --delete-service  -D        delete virtual service
  --clear           -C        clear the whole table
  --restore         -R        restore rules from stdin
  --save            -S        save rules to stdout
  --add-server      -a        add real server with options
  --edit-server     -e        edit real server with options
  --delete-server   -d        delete real server
  --list            -L|-l     list the table
  --zero            -Z        zero counters in a service or all services
  --set tcp tcpfin udp        set connection timeout values
  --start-daemon              start connection sync daemon
  --stop-daemon               stop connection sync daemon
  --add-laddr       -P        add a local (FULLNAT source) address to a service
  --del-laddr       -Q        delete a local address from a service
  --get-laddr       -G        list local addresses
  --help            -h        display this help message

virtual-service:
  --tcp-service|-t  service-address   service-address is host[:port]
  --udp-service|-u  service-address   service-address is host[:port]

Options:
  --scheduler    -s scheduler         one of ${SCHEDULERS.join('|')},
                                      the default scheduler is wlc.
  --persistent   -p [timeout]         persistent service (default timeout 360)
  --netmask      -M netmask           persistent granularity mask
  --real-server  -r server-address    server-address is host (and port)
  --gatewaying   -g                   gatewaying (direct routing) (default)
  --ipip         -i                   ipip encapsulation (tunneling)
  --masquerading -m                   masquerading (NAT)
  --fullnat                           full NAT (source becomes a local address)
  --weight       -w weight            capacity of real server
  --u-threshold  -x uthreshold        upper threshold of connections
  --l-threshold  -y lthreshold        lower threshold of connections
  --laddr        -z local-address     local address for --add-laddr/--del-laddr
  --proxy-protocol v1|v2              a PROXY protocol header for fullnat servers
  --toa                               the client address in TCP option 254 (TOA)
  --synproxy     -j                   answer SYNs with SYN cookies (SYN proxy)
  --connection   -c                   output of current IPVS connections
  --timeout                           output of timeout (tcp tcpfin udp)
  --daemon                            output of daemon information
  --stats                             output of statistics information
  --rate                              output of rate information
  --exact                             expand numbers (display exact values)
  --thresholds                        output of thresholds information
  --persistent-conn                   output of persistent connection info
  --nosort                            disable sorting output of service/server entries
  --sort                              does nothing, for backwards compatibility
  --numeric      -n                   numeric output of addresses and ports
  --sched-flags  -b flags             scheduler flags (comma-separated)
  --mcast-interface interface         multicast interface (a port or its kernel twin) for connection sync
  --syncid sid                        syncid for connection sync (default=0; a backup with 0 takes any)
  --sync-maxlen length                max sync message length (default=1472)
  --mcast-group address               IPv4 multicast group (default=224.0.0.81)
  --mcast-port port                   UDP port (default=8848)
  --mcast-ttl ttl                     multicast TTL (default=1)
  --api          URL                  Fulcrum API (default $FULCRUM_API or ${DEFAULT_API});
                                      the bearer token is read from $FULCRUM_API_TOKEN

Not supported by Fulcrum: -f (fwmark), --sctp-service, -6, --ops, --pe, tunnel
options.
`;
}

/** Remove `--api URL` / `--api=URL` (fulcrumadm's own option) from argv. */
export function extractApi(argv: string[]): { argv: string[]; api?: string; error?: string } {
  const out: string[] = [];
  let api: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (a === '--api') {
      if (i + 1 >= argv.length) return { argv: out, error: '--api: missing argument' };
      api = argv[++i];
    } else if (a.startsWith('--api=')) {
      api = a.slice(6);
    } else {
      out.push(a);
    }
  }
  return { argv: out, api };
}

const MUTATING = new Set([
  'add-service', 'edit-service', 'delete-service', 'flush', 'add-server', 'edit-server',
  'delete-server', 'set', 'add-laddr', 'del-laddr',
]);

/** Run one fulcrumadm invocation; returns the exit status. */
export async function runFulcrumadm(rawArgv: string[], io: RunIO): Promise<number> {
  const x = extractApi(rawArgv);
  if (x.error) {
    io.stderr(`${x.error}\n`);
    return 255;
  }
  const pc = parseIpvsadm(x.argv);
  if (isParseError(pc)) {
    io.stderr(`${pc.message}\n`);
    return pc.exitCode;
  }
  if (pc.cmd === 'help') {
    io.stdout(usage());
    return 0;
  }
  if (pc.cmd === 'version') {
    io.stdout(`${VERSION_LINE}\n`);
    return 0;
  }

  let transport: FetchLike | undefined;
  try {
    transport = io.fetch ?? transportFromEnv(io.env);
  } catch (e) {
    io.stderr(`${(e as Error).message}\n`);
    return 2;
  }
  const client = new FulcrumApiClient({
    baseUrl: x.api ?? io.env.FULCRUM_API ?? DEFAULT_API,
    token: io.env.FULCRUM_API_TOKEN || undefined,
    fetch: transport,
  });

  try {
    if (pc.cmd === 'list') {
      const f = pc.format;
      if (f.connection) {
        const raw = await client.getSessions();
        io.stdout(formatConnections(raw === null ? [] : normalizeSessions(raw), f));
        return 0;
      }
      if (f.daemon) {
        io.stdout(formatDaemons(await client.getSyncDaemons()));
        return 0;
      }
      // The table as it runs, as ipvsadm -L shows the kernel's after
      // keepalived: a server health checks hold DOWN is absent (or at
      // weight 0 with inhibitOnFailure); -S and changes use the desired config.
      const cfg = await client.getEffectiveConfig();
      if (f.timeout) {
        io.stdout(formatTimeout(cfg.timeouts ?? { tcp: 900, tcpFin: 120, udp: 300 }));
        return 0;
      }
      if (pc.service && !findService(cfg, pc.service)) {
        io.stderr('No such service\n');
        return 1; // list_service(): exit(1)
      }
      const stats = normalizeStats(await client.getStats());
      io.stdout(formatList(cfg, stats, { ...f, service: pc.service, resolvePort: io.resolvePort }));
      return 0;
    }
    if (pc.cmd === 'start-daemon' && pc.daemon) {
      const { state, ...opts } = pc.daemon;
      const body: Record<string, unknown> = { interface: opts.interface };
      if (opts.syncId !== undefined) body.syncId = opts.syncId;
      if (opts.maxLen !== undefined) body.maxLen = opts.maxLen;
      if (opts.group !== undefined) body.group = opts.group;
      if (opts.port !== undefined) body.port = opts.port;
      if (opts.ttl !== undefined) body.ttl = opts.ttl;
      await client.startSyncDaemon(state, body);
      return 0;
    }
    if (pc.cmd === 'stop-daemon' && pc.daemon) {
      if (!(await client.stopSyncDaemon(pc.daemon.state))) {
        io.stderr('No such process\n'); // the kernel's ESRCH when that daemon does not run
        return 255;
      }
      return 0;
    }
    if (pc.cmd === 'save') {
      const cfg = await client.getConfig();
      io.stdout(formatSave(cfg, pc.format.numeric, io.resolvePort));
      return 0;
    }
    if (pc.cmd === 'get-laddr') {
      const cfg = await client.getConfig();
      if (pc.service && !findService(cfg, pc.service)) {
        io.stderr('Service not defined\n');
        return 255;
      }
      io.stdout(formatLaddrs(cfg, pc.service));
      return 0;
    }
    if (pc.cmd === 'zero') {
      const cfg = await client.getConfig();
      const r = applyIpvsadm(cfg, pc);
      if (!r.ok) {
        io.stderr(`${r.message}\n`);
        return r.exitCode;
      }
      await client.zero(pc.service ? serviceKey(pc.service) : undefined);
      return 0;
    }
    if (pc.cmd === 'restore') {
      const text = await io.readStdin();
      const cfg = await client.getConfig();
      const r = applyRestore(cfg, text);
      if (!r.ok) {
        io.stderr(`${r.message}\n`);
        return r.exitCode;
      }
      if (r.changed) await client.putConfig(r.config);
      return 0;
    }
    if (MUTATING.has(pc.cmd)) {
      const cfg = await client.getConfig();
      const r = applyIpvsadm<FulcrumConfig>(cfg, pc);
      if (!r.ok) {
        io.stderr(`${r.message}\n`);
        return r.exitCode;
      }
      await client.putConfig(r.config);
      return 0;
    }
    io.stderr(`${PROGRAM}: '${pc.cmd}' is not supported\n`);
    return 2;
  } catch (e) {
    if (e instanceof ApiUnreachable) {
      io.stderr(`Can't initialize ipvs: ${e.message}\nIs the fulcrum daemon running?\n`);
      return 2;
    }
    if (e instanceof ApiError) {
      if (e.status === 401 || e.status === 403) {
        io.stderr('Permission denied (set FULCRUM_API_TOKEN to the API token)\n');
      } else if (e.errors.length) {
        // The daemon rejected the resulting config: one line per problem.
        for (const ce of e.errors) io.stderr(`${ce.path || '(root)'}: ${ce.message}\n`);
      } else {
        io.stderr(`${e.message}\n`);
      }
      return 255;
    }
    throw e;
  }
}
