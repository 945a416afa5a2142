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

/** A service key taken apart, or null when it is not protocol:vip:port. */
export function parseServiceKey(id: string): ServiceId | null {
  const parts = id.split(':');
  const port = Number(parts[2]);
  if (parts.length !== 3 || !Number.isInteger(port) || port < 0 || port > 65535) return null;
  return { protocol: parts[0]!, vip: parts[1]!, port };
}

/** An endpoint key taken apart, or null when it is not address:port. */
export function parseEndpointKey(id: string): Endpoint | null {
  const i = id.lastIndexOf(':');
  const port = Number(id.slice(i + 1));
  if (i < 0 || !Number.isInteger(port) || port < 0 || port > 65535) return null;
  return { address: id.slice(0, i), port };
}
