// Services and real servers as the dataplane snapshot carries them.
import type { FulcrumConfig, ServiceConfig } from '../config/types';
import type { NativeService } from '../native/addon';
import type { DataplaneIds } from './ids';
import { serverKey, serviceKey } from '../config/keys';
import { familyOf, ofFamily } from '../net/family';
import { serverFamily } from '../config/nat64';

/** The LIPs a service's FULLNAT servers use: those of its servers' family (NAT64: IPv4) in its lipPool, else "default". */
export function serviceLips(cfg: FulcrumConfig, svc: ServiceConfig): string[] {
  return ofFamily(cfg.lipPools[svc.lipPool ?? 'default'] ?? [], serverFamily(svc));
}

/** The dataplane's TCP stream edit for a service's client-address option. */
export function tcpEditOf(svc: ServiceConfig): NonNullable<NativeService['tcpx']> {
  if (svc.proxyProtocol !== undefined) return `proxy-${svc.proxyProtocol}`;
  return svc.toa ? 'toa' : 'none';
}

export function planServices(cfg: FulcrumConfig, ids: DataplaneIds): NativeService[] {
  // The schema's scheduler and method names are the dataplane's (checked
  // when the addon loads: native/vocabulary.ts).
  return cfg.services.map((svc) => ({
    id: ids.services.idFor(serviceKey(svc)),
    proto: svc.protocol,
    family: familyOf(svc.vip),
    serverFamily: serverFamily(svc),
    vip: svc.vip,
    port: svc.port,
    sched: svc.scheduler,
    schedFlags: svc.schedFlags,
    expireNodest: svc.expireNodestConn,
    mssClamp: svc.mssClamp ?? 0,
    tcpx: tcpEditOf(svc),
    synProxy: svc.synProxy ?? false,
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
  }));
}
