// End-to-end forwarding methods over IPv4: DR, NAT, TUN (IPIP) and FULLNAT
// with the real daemon, as the kernel's IPVS selftest runs them (the suite
// and its topology: test/lib/methods-suite.ts).
import { METHODS_IPV4, methodsSuite } from '../lib/methods-suite';

methodsSuite(METHODS_IPV4);
