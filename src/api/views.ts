// How the API shows config items: with their ids (config/keys.ts).
import type { ServerConfig, ServiceConfig } from '../config/types';
import { endpointKey, serviceKey } from '../config/keys';

export function serviceView(s: ServiceConfig): object {
  return { id: serviceKey(s), ...s, servers: s.servers.map(serverView) };
}

export function serverView(r: ServerConfig): object {
  return { id: endpointKey(r), ...r };
}
