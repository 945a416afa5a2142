// How services and their real servers are named across the control plane:
// API ids ("tcp:198.18.0.100:80"), health state, metrics, the dataplane's
// stable ids. Built here and nowhere else.

interface ServiceId { protocol: string; vip: string; port: number }
interface Endpoint { address: string; port: number }

/** "tcp:198.18.0.100:80": a service's id in the API and everywhere else. */
export function serviceKey(s: ServiceId): string {
  return `${s.protocol}:${s.vip}:${s.port}`;
}

/** "198.19.1.10:8080": a real server within its service (API server ids). */
export function endpointKey(r: Endpoint): string {
  return `${r.address}:${r.port}`;
}

/** "tcp:198.18.0.100:80/198.19.1.10:8080": a real server of a service. */
export function serverKey(s: ServiceId, r: Endpoint): string {
  return `${serviceKey(s)}/${endpointKey(r)}`;
}
