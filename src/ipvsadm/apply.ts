// Pure core of fulcrumadm: apply one parsed ipvsadm command to the
// declarative config. No I/O. Errors carry ipvsadm's libipvs wording
// (ipvs_strerror) and the exit status ipvsadm would end with (a failed
// kernel operation makes main() return -1, i.e. status 255).

import type { FulcrumConfig, SchedFlag, Scheduler, ServerConfig, ServiceConfig } from '../config/types';
import { SCHEDULERS } from '../config/schema';
import type { ParsedCommand, ServiceRef } from './parse';
import { PROGRAM, isParseError, parseIpvsadm, splitRestoreLine, tryHelpLine } from './parse';

/** The part of the config fulcrumadm reads and writes. */
export type IpvsConfig = Pick<FulcrumConfig, 'services' | 'timeouts' | 'lipPools'>;

export interface ApplyError {
  ok: false;
  message: string;
  exitCode: number;
}
export type ApplyResult<C> = { ok: true; config: C; changed: boolean } | ApplyError;

const err = (message: string, exitCode = 255): ApplyError => ({ ok: false, message, exitCode });

export function findService<C extends IpvsConfig>(cfg: C, ref: ServiceRef): ServiceConfig | undefined {
  return cfg.services.find((s) => s.protocol === ref.protocol && s.vip === ref.vip && s.port === ref.port);
}

/** The LIP pool a fullnat service uses: its own, else "default". */
export function effectivePoolName(s: ServiceConfig): string {
  return s.lipPool ?? 'default';
}

/** Pool name Fulcrum creates when a service needs a LIP list of its own. */
export function dedicatedPoolName(s: ServiceConfig): string {
  return `${s.protocol}-${s.vip}-${s.port}`;
}

/**
 * Apply a mutating command. List/save/restore/help are not mutations and
 * return the config unchanged (`changed: false`). The input is not mutated.
 */
export function applyIpvsadm<C extends IpvsConfig>(config: C, pc: ParsedCommand): ApplyResult<C> {
  const cfg = structuredClone(config);
  cfg.services ??= [];
  cfg.lipPools ??= {};
  const svcRef = pc.service;
  switch (pc.cmd) {
    case 'flush':
      cfg.services = [];
      return { ok: true, config: cfg, changed: true };

    case 'add-service':
    case 'edit-service': {
      const ref = svcRef!;
      const existing = findService(cfg, ref);
      const add = pc.cmd === 'add-service';
      if (add && existing) return err('Service already exists');
      if (!add && !existing) return err('No such service');
      const sched = pc.scheduler!;
      if (!(SCHEDULERS as readonly string[]).includes(sched)) {
        return err('Scheduler or persistence engine not found');
      }
      // ipvs_update_service() replaces scheduler, flags, timeout and netmask
      // as a whole: -E without -p makes the service non-persistent, as in IPVS.
      const persistence = pc.persistent !== undefined
        ? { timeout: pc.persistent, netmask: pc.netmask ?? '255.255.255.255', ...(pc.prefix6 ? { ipv6PrefixLength: pc.prefix6 } : {}) }
        : null;
      const schedFlags = (pc.schedFlags ?? []) as SchedFlag[];
      const clientAddress = {
        ...(pc.proxyProtocol ? { proxyProtocol: pc.proxyProtocol } : {}),
        ...(pc.toa ? { toa: true } : {}),
        ...(pc.synProxy ? { synProxy: true } : {}),
      };
      if (add) {
        cfg.services.push({
          protocol: ref.protocol,
          vip: ref.vip,
          port: ref.port,
          scheduler: sched as Scheduler,
          schedFlags,
          persistence,
          expireNodestConn: false,
          servers: [],
          inhibitOnFailure: false,
          ...clientAddress,
        });
      } else {
        existing!.scheduler = sched as Scheduler;
        existing!.schedFlags = schedFlags;
        existing!.persistence = persistence;
        // Replaced as a whole too: -E without --proxy-protocol turns it off.
        delete existing!.proxyProtocol;
        delete existing!.toa;
        delete existing!.synProxy;
        Object.assign(existing!, clientAddress);
      }
      return { ok: true, config: cfg, changed: true };
    }

    case 'delete-service': {
      const s = findService(cfg, svcRef!);
      if (!s) return err('No such service');
      cfg.services = cfg.services.filter((x) => x !== s);
      return { ok: true, config: cfg, changed: true };
    }

    case 'add-server':
    case 'edit-server':
    case 'delete-server': {
      const s = findService(cfg, svcRef!);
      if (!s) return err('Service not defined');
      const want = pc.server!;
      const idx = s.servers.findIndex((r) => r.address === want.address && r.port === want.port);
      if (pc.cmd === 'delete-server') {
        if (idx < 0) return err('No such destination');
        s.servers.splice(idx, 1);
        return { ok: true, config: cfg, changed: true };
      }
      if (pc.cmd === 'add-server' && idx >= 0) return err('Destination already exists');
      if (pc.cmd === 'edit-server' && idx < 0) return err('No such destination');
      // ipvs_update_dest() sets every field: an omitted -w is weight 1 and an
      // omitted method is -g, exactly like ipvsadm -e.
      const rs: ServerConfig = {
        address: want.address,
        port: want.port,
        weight: pc.weight,
        method: pc.method,
      };
      // 0 means "no limit" in IPVS; the config leaves such a field out.
      if (pc.uThreshold > 0) rs.upperThreshold = pc.uThreshold;
      if (pc.lThreshold > 0) rs.lowerThreshold = pc.lThreshold;
      // ipvsadm knows nothing of health checks: -e keeps the server's check.
      const hc = idx >= 0 ? s.servers[idx]!.healthCheck : undefined;
      if (hc !== undefined) rs.healthCheck = hc;
      if (idx >= 0) s.servers[idx] = rs;
      else s.servers.push(rs);
      return { ok: true, config: cfg, changed: true };
    }

    case 'set': {
      // 0 keeps the current value (ip_vs_set_timeout semantics).
      const t = pc.timeouts!;
      const cur = cfg.timeouts ?? { tcp: 900, tcpFin: 120, udp: 300 };
      cfg.timeouts = {
        tcp: t.tcp || cur.tcp,
        tcpFin: t.tcpFin || cur.tcpFin,
        udp: t.udp || cur.udp,
      };
      return { ok: true, config: cfg, changed: true };
    }

    case 'add-laddr':
    case 'del-laddr': {
      const s = findService(cfg, svcRef!);
      if (!s) return err('Service not defined');
      const lip = pc.laddr!;
      const current = cfg.lipPools[effectivePoolName(s)] ?? [];
      const has = current.includes(lip);
      if (pc.cmd === 'add-laddr' && has) return err('Local address already exists');
      if (pc.cmd === 'del-laddr' && !has) return err('No such Local address');
      const next = pc.cmd === 'add-laddr' ? [...current, lip] : current.filter((x) => x !== lip);
      // DPVS keeps LIPs per service. A pool another service also uses (or the
      // implicit "default") is copied to a pool of this service's own first,
      // so the change never leaks into other services.
      const poolName = effectivePoolName(s);
      const shared = s.lipPool === undefined ||
        cfg.services.some((o) => o !== s && effectivePoolName(o) === poolName);
      if (shared) {
        const own = dedicatedPoolName(s);
        cfg.lipPools[own] = next;
        s.lipPool = own;
      } else {
        cfg.lipPools[poolName] = next;
      }
      return { ok: true, config: cfg, changed: true };
    }

    case 'zero': {
      if (svcRef && !findService(cfg, svcRef)) return err('No such service');
      return { ok: true, config: cfg, changed: false };
    }

    default:
      return { ok: true, config: cfg, changed: false };
  }
}

const MUTATIONS = new Set([
  'add-service', 'edit-service', 'delete-service', 'flush', 'add-server', 'edit-server',
  'delete-server', 'set', 'add-laddr', 'del-laddr',
]);

/**
 * `-R`: apply every rule line (the `-S` format, one ipvsadm command per line
 * without the program name) to the config, all or nothing. ipvsadm runs the
 * lines one by one against the kernel and keeps going after a failed one;
 * Fulcrum writes the result in one PUT, so the first bad line aborts the
 * whole restore and nothing is written.
 */
export function applyRestore<C extends IpvsConfig>(config: C, text: string, prog = PROGRAM): ApplyResult<C> {
  let cfg = config;
  let changed = false;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const words = splitRestoreLine(lines[i]!);
    if (words.length === 0) continue;
    const pc = parseIpvsadm(words, prog);
    if (isParseError(pc)) return err(`${pc.message} (line ${i + 1})`, pc.exitCode);
    if (pc.cmd === 'restore') return err(tryHelpLine(prog), 255);
    if (!MUTATIONS.has(pc.cmd)) {
      return err(`only rule commands can be restored, not '${words[0]}' (line ${i + 1})`, 2);
    }
    const r = applyIpvsadm(cfg, pc);
    if (!r.ok) return { ...r, message: `${r.message} (line ${i + 1})` };
    cfg = r.config;
    changed ||= r.changed;
  }
  return { ok: true, config: cfg, changed };
}
