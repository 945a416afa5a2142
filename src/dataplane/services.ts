// Services and real servers as the dataplane snapshot carries them.
import type { FulcrumConfig, ServiceConfig } from '../config/types';
import type { NativeService } from '../native/addon';
import type { DataplaneIds } from './ids';
import { serverKey, serviceKey } from '../config/keys';

/** The schedulers the dataplane runs (native/sched). */
const DATAPLANE_SCHEDULERS = new Set(['rr', 'wrr', 'lc', 'wlc', 'sed', 'nq', 'fo', 'ovf', 'lblc', 'lblcr', 'dh', 'sh', 'mh']);
/** The forwarding methods the dataplane runs today. */
const DATAPLANE_METHODS = new Set(['fullnat', 'dr', 'nat', 'tun']);

/** The LIPs a service's FULLNAT servers use: its lipPool, else "default". */
export function serviceLips(cfg: FulcrumConfig, svc: ServiceConfig): string[] {
  return cfg.lipPools[svc.lipPool ?? 'default'] ?? [];
}

export function planServices(cfg: FulcrumConfig, ids: DataplaneIds): NativeService[] {
  return cfg.services.map((svc, i) => {
    const key = serviceKey(svc);
    if (!DATAPLANE_SCHEDULERS.has(svc.scheduler)) {
      throw new Error(`services[${i}] ${key}: scheduler "${svc.scheduler}" is not implemented by the dataplane`);
    }
    svc.servers.forEach((rs, j) => {
      if (!DATAPLANE_METHODS.has(rs.method)) {
        throw new Error(`services[${i}].servers[${j}] ${key}: method "${rs.method}" is not implemented by the dataplane`);
      }
    });
    return {
      id: ids.services.idFor(key),
      proto: svc.protocol,
      vip: svc.vip,
      port: svc.port,
      sched: svc.scheduler,
      schedFlags: svc.schedFlags,
      expireNodest: svc.expireNodestConn,
      mssClamp: svc.mssClamp ?? 0,
      persistence: svc.persistence,
      lips: serviceLips(cfg, svc),
      servers: svc.servers.map((rs) => ({
        id: ids.servers.idFor(serverKey(svc, rs)),
        ip: rs.address,
        port: rs.port,
        weight: rs.weight,
        method: rs.method,
        upperThreshold: rs.upperThreshold ?? 0,
        lowerThreshold: rs.lowerThreshold ?? 0,
      })),
    };
  });
}
