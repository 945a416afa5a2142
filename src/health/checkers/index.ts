// The health checkers by type: one file each, behind this table. The
// manager builds a probe with CHECKERS[type].spec() and runs it with
// runProbe(); a new checker is a new file and a line here.
import type { HealthCheckType } from '../../config/types';
import type { ProbeResult } from '../state';
import type { Checker } from './common';
import { dns, type DnsProbe } from './dns';
import { httpChecker, type HttpProbe } from './http';
import { misc, type MiscProbe } from './misc';
import { ping, type PingProbe } from './ping';
import { smtp, type SmtpProbe } from './smtp';
import { tcp, type TcpProbe } from './tcp';
import { udp, type UdpProbe } from './udp';

export type ProbeSpec = TcpProbe | HttpProbe | MiscProbe | SmtpProbe | UdpProbe | PingProbe | DnsProbe;
type SpecOf<T extends HealthCheckType> = Extract<ProbeSpec, { type: T }>;

export const CHECKERS: { [T in HealthCheckType]: Checker<SpecOf<T>> } = {
  tcp,
  http: httpChecker,
  misc,
  smtp,
  udp,
  ping,
  dns,
};

export function runProbe(p: ProbeSpec): Promise<ProbeResult> {
  return (CHECKERS[p.type] as Checker<ProbeSpec>).run(p);
}

export type { ProbeTarget, SpecInput } from './common';
export { tcpCheck } from './tcp';
export { httpCheck, statusMatches, type HttpUrl } from './http';
export { miscCheck } from './misc';
export { smtpCheck } from './smtp';
export { udpCheck } from './udp';
export { pingCheck } from './ping';
export { dnsCheck, dnsQuery } from './dns';
export { probeSource } from './source';
