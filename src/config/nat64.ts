// NAT64 through FULLNAT, as DPVS has it: an IPv6 VIP whose real servers are
// IPv4, reached from IPv4 LIPs (native/fastpath/nat64.c). A service's
// servers are all of one family; where it is not the VIP's, the service is
// NAT64, and its LIPs are of the servers' family.
import type { ServiceConfig } from './types';
import { familyOf, type Family } from '../net/family';

/** The family of a service's servers (and sorry server): the first one's, else the VIP's. */
export function serverFamily(svc: ServiceConfig): Family {
  const first = svc.servers[0]?.address ?? svc.sorryServer?.address;
  return first === undefined ? familyOf(svc.vip) : familyOf(first);
}

/** An IPv6 VIP with IPv4 servers. */
export function isNat64(svc: ServiceConfig): boolean {
  return familyOf(svc.vip) === 6 && serverFamily(svc) === 4;
}
