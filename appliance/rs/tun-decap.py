#!/usr/bin/env python3
"""User-space IPIP (and IPv6-in-IPv6) decapsulator for a Fulcrum TUN
(ipvsadm -i) real server.

For hosts whose kernel has no ipip module (tunl0). A raw IPv4 socket for
protocol 4 (IPPROTO_IPIP) receives every encapsulated packet addressed to this
host; Linux hands raw sockets the outer IP header too. The outer header is
stripped and the inner packet written to a TUN device (IFF_TUN | IFF_NO_PI),
which holds the VIP(s), is up and has rp_filter 0, so the kernel accepts inner
packets whose source is the client. Replies leave by the normal routes,
straight to the client (the director never sees them).

Only inner IPv4 packets to one of the given VIPs are injected (not an open
relay). With IPv6 VIPs it does the same for IPv6-in-IPv6 (next header 41,
ip6_tunnel's job): a raw IPv6 socket for protocol 41 receives the inner
packet without the outer header, and the outer source comes from recvfrom. Python 3 standard library only. Runs in the foreground; SIGTERM or
SIGINT closes the device (it is not persistent, so it disappears) and prints
the counters.

usage: tun-decap.py --vip 198.18.0.100 [--vip ...] [--dev fltun0] [--from DIP ...]
       tun-decap.py --vip 2001:2::100 [--from 2001:2:1::1]   (IPv6-in-IPv6)
"""
import argparse
import fcntl
import ipaddress
import os
import signal
import socket
import struct
import subprocess
import sys

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
IPPROTO_IPIP = 4
IPPROTO_IPV6 = 41   # IPv6-in-IPv6 (RFC 2473)


class Stop(Exception):
    pass


def log(msg):
    sys.stderr.write("tun-decap: %s\n" % msg)
    sys.stderr.flush()


def sh(*args):
    subprocess.run(list(args), check=True, stdout=subprocess.DEVNULL)


def sysctl(key, value):
    path = "/proc/sys/" + key.replace(".", "/")
    with open(path, "w") as f:
        f.write(str(value))


def open_tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    ifr = struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI)
    fcntl.ioctl(fd, TUNSETIFF, ifr)
    return fd


def main():
    ap = argparse.ArgumentParser(description="user-space IPIP decapsulator (Fulcrum TUN real server)")
    ap.add_argument("--vip", action="append", required=True, help="VIP to put on the TUN device (repeatable)")
    ap.add_argument("--dev", default="fltun0", help="TUN device name (default fltun0)")
    ap.add_argument("--from", dest="sources", action="append", default=[],
                    help="accept encapsulated packets only from this outer source (repeatable; default any)")
    a = ap.parse_args()
    try:
        addrs = [ipaddress.ip_address(v.split("/")[0]) for v in a.vip]
        srcs = [ipaddress.ip_address(x) for x in a.sources]
    except ValueError as e:
        ap.error(str(e))
    families = {x.version for x in addrs + srcs}
    if len(families) != 1:
        ap.error("the VIPs and --from addresses must be all IPv4 or all IPv6")
    v6 = families == {6}
    vips = {x.packed for x in addrs}
    sources = {x.packed for x in srcs}
    if len(a.dev) > 15:
        ap.error("device name too long")

    def on_signal(signum, _frame):
        raise Stop(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    tun = open_tun(a.dev)
    if v6:
        return run6(a, tun, vips, sources)
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_IPIP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    # Strict reverse-path filtering would drop inner packets from the client
    # arriving on the TUN device (the route back to the client is elsewhere).
    sysctl("net.ipv4.conf.all.rp_filter", 0)
    sysctl("net.ipv4.conf.%s.rp_filter" % a.dev, 0)
    sysctl("net.ipv4.conf.%s.accept_local" % a.dev, 1)
    for v in a.vip:
        r = subprocess.run(["ip", "addr", "replace", v.split("/")[0] + "/32", "dev", a.dev],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if r.returncode != 0:
            log("ip addr replace %s dev %s: %s" % (v, a.dev, r.stderr.decode().strip()))
            return 1
    sh("ip", "link", "set", "dev", a.dev, "up")
    print("tun-decap: ready dev=%s vips=%s" % (a.dev, ",".join(a.vip)), flush=True)

    return relay(sock, tun, lambda pkt, _peer: unwrap4(pkt, vips, sources))


BAD, FILTERED = "malformed", "filtered"


def unwrap4(pkt, vips, sources):
    """IPIP: the inner IPv4 packet after the outer header, or why not."""
    if len(pkt) < 20 or pkt[0] >> 4 != 4:
        return BAD
    ihl = (pkt[0] & 0x0F) * 4
    tot = struct.unpack_from("!H", pkt, 2)[0]
    if ihl < 20 or tot < ihl + 20 or tot > len(pkt) or pkt[9] != IPPROTO_IPIP:
        return BAD
    if struct.unpack_from("!H", pkt, 6)[0] & 0x3FFF:
        return BAD   # outer fragments: the kernel reassembles before raw delivery; be safe
    if sources and pkt[12:16] not in sources:
        return FILTERED
    inner = pkt[ihl:tot]
    if inner[0] >> 4 != 4 or struct.unpack_from("!H", inner, 2)[0] != len(inner):
        return BAD
    return inner if inner[16:20] in vips else FILTERED


def unwrap6(inner, peer, vips, sources):
    """IPv6-in-IPv6: a raw IPv6 socket hands over the inner packet itself."""
    if len(inner) < 40 or inner[0] >> 4 != 6 or 40 + struct.unpack_from("!H", inner, 4)[0] != len(inner):
        return BAD
    if sources and ipaddress.IPv6Address(peer[0].split("%")[0]).packed not in sources:
        return FILTERED
    return inner if inner[24:40] in vips else FILTERED


def relay(sock, tun, unwrap):
    """Inject what unwrap(packet, peer) accepts into the TUN device until a signal."""
    n_in = n_out = 0
    refused = {BAD: 0, FILTERED: 0}
    try:
        while True:
            pkt, peer = sock.recvfrom(65535)
            n_in += 1
            inner = unwrap(pkt, peer)
            if isinstance(inner, str):
                refused[inner] += 1
                continue
            os.write(tun, inner)
            n_out += 1
    except Stop as e:
        log("%s: stopping" % e)
    finally:
        sock.close()
        os.close(tun)
        log("received %d, injected %d, malformed %d, filtered %d" % (n_in, n_out, refused[BAD], refused[FILTERED]))
    return 0


def run6(a, tun, vips, sources):
    """IPv6-in-IPv6 (the device, its VIPs, then the relay)."""
    sock = socket.socket(socket.AF_INET6, socket.SOCK_RAW, IPPROTO_IPV6)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    # The device is new: IPv6 on, no duplicate address detection to wait for.
    for key in ("disable_ipv6", "accept_dad"):
        sysctl("net.ipv6.conf.%s.%s" % (a.dev, key), 0)
    sh("ip", "link", "set", "dev", a.dev, "up")
    for v in a.vip:
        r = subprocess.run(["ip", "-6", "addr", "replace", v.split("/")[0] + "/128", "dev", a.dev, "nodad"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if r.returncode != 0:
            log("ip -6 addr replace %s dev %s: %s" % (v, a.dev, r.stderr.decode().strip()))
            return 1
    print("tun-decap: ready dev=%s vips=%s" % (a.dev, ",".join(a.vip)), flush=True)
    return relay(sock, tun, lambda pkt, peer: unwrap6(pkt, peer, vips, sources))


if __name__ == "__main__":
    sys.exit(main())
