// How services and their real servers are named across the control plane:
// API ids ("tcp:198.18.0.100:80"), health state, metrics, the dataplane's
// stable ids. Built here and nowhere else.

interface ServiceId { protocol: string; vip: string; port: number }
interface Endpoint { address: string; port: number }

/** An address before a port: IPv6 in brackets, as ipvsadm prints it ("[2001:2::100]:80"). */
function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** "tcp:198.18.0.100:80" or "tcp:[2001:2::100]:80": a service's id in the API and everywhere else. */
export function serviceKey(s: ServiceId): string {
  return `${s.protocol}:${hostPort(s.vip, s.port)}`;
}

/** "198.19.1.10:8080" or "[2001:2:1::10]:8080": a real server within its service (API server ids). */
export function endpointKey(r: Endpoint): string {
  return hostPort(r.address, r.port);
}

/** "tcp:198.18.0.100:80/198.19.1.10:8080": a real server of a service. */
export function serverKey(s: ServiceId, r: Endpoint): string {
  return `${serviceKey(s)}/${endpointKey(r)}`;
}

/** A service key taken apart, or null when it is not protocol:vip:port. */
export function parseServiceKey(id: string): ServiceId | null {
  const i = id.indexOf(':');
  const ep = i > 0 ? parseEndpointKey(id.slice(i + 1)) : null;
  return ep ? { protocol: id.slice(0, i), vip: ep.address, port: ep.port } : null;
}

/** An endpoint key taken apart, or null when it is not address:port or [IPv6]:port. */
export function parseEndpointKey(id: string): Endpoint | null {
  const i = id.lastIndexOf(':');
  const portText = id.slice(i + 1);
  const port = Number(portText);
  if (i < 0 || !/^[0-9]+$/.test(portText) || port > 65535) return null;
  let address = id.slice(0, i);
  if (address.startsWith('[')) {
    if (!address.endsWith(']') || address.length < 3) return null;
    address = address.slice(1, -1);
    if (!address.includes(':')) return null;
  } else if (address.includes(':') || address === '') {
    return null;   // an IPv6 address must be bracketed
  }
  return { address, port };
}
