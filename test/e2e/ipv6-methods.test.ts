// End-to-end forwarding methods over IPv6 (issue 15): DR, NAT, TUN as
// IPv6-in-IPv6 and FULLNAT with the real daemon, IPv6 clients, routers and
// real servers (2001:2::/48), the same suite as IPv4's
// (test/lib/methods-suite.ts). The TUN servers decapsulate in user space
// (appliance/rs/tun-decap.py): this kernel has no ip6_tunnel module.
import { METHODS_IPV6, methodsSuite } from '../lib/methods-suite';

methodsSuite(METHODS_IPV6);
