#!/bin/sh
# Real-server setup for Fulcrum's DR (direct routing, ipvsadm -g) method.
#
#   setup-dr.sh <VIP> [--iface IFACE] [--undo]     (an IPv4 or an IPv6 VIP)
#
# The director rewrites only the Ethernet header, so the packet arrives with
# destination VIP: the real server must own the VIP (on lo, /32) but never
# answer ARP for it (the director owns the VIP on the segment):
#   arp_ignore=1   answer ARP only for addresses on the receiving interface
#   arp_announce=2 use the best local address (not the VIP) as ARP source
# set on "all", "lo" and the server's interface (default: the interface of
# the default route, else every non-lo interface). Idempotent; --undo removes
# the VIP and restores the sysctls to 0 (the kernel defaults).
set -eu

usage() { echo "usage: $0 <VIP> [--iface IFACE] [--undo]" >&2; exit 2; }

VIP=""; IFACE=""; UNDO=0
while [ $# -gt 0 ]; do
	case "$1" in
	--undo) UNDO=1 ;;
	--iface) [ $# -ge 2 ] || usage; IFACE="$2"; shift ;;
	-h|--help) usage ;;
	-*) usage ;;
	*) [ -z "$VIP" ] || usage; VIP="$1" ;;
	esac
	shift
done
[ -n "$VIP" ] || usage
case "$VIP" in
*:*) VIP="${VIP%/128}"
	case "$VIP" in *[!0-9a-fA-F:]*) echo "$0: bad VIP '$VIP'" >&2; exit 2 ;; esac ;;
*) VIP="${VIP%/32}"
	case "$VIP" in *[!0-9.]*|"") echo "$0: bad VIP '$VIP'" >&2; exit 2 ;; esac ;;
esac

# An IPv6 VIP: /128 on lo. Linux answers a neighbour solicitation only for
# addresses on the interface it arrived on, so the VIP on lo is never
# advertised and needs no arp_ignore counterpart.
case "$VIP" in
*:*)
	if [ "$UNDO" = 1 ]; then
		ip -6 addr del "$VIP/128" dev lo 2>/dev/null || true
		echo "setup-dr: removed $VIP from lo"
		exit 0
	fi
	sysctl -q -w net.ipv6.conf.lo.disable_ipv6=0 >/dev/null
	ip link set dev lo up
	if ! ip -6 -o addr show dev lo | grep -q " $VIP/128 "; then
		ip -6 addr add "$VIP/128" dev lo nodad
	fi
	echo "setup-dr: $VIP/128 on lo"
	exit 0 ;;
esac

ifaces() {
	if [ -n "$IFACE" ]; then echo "$IFACE"; return; fi
	d=$(ip -4 route show default 2>/dev/null | awk '{for(i=1;i<NF;i++) if($i=="dev"){print $(i+1); exit}}')
	if [ -n "$d" ]; then echo "$d"; return; fi
	ip -o link show | awk -F': ' '{sub(/@.*/, "", $2); if ($2 != "lo") print $2}'
}

sysctl_set() { sysctl -q -w "$1=$2" >/dev/null; }

if [ "$UNDO" = 1 ]; then
	ip addr del "$VIP/32" dev lo 2>/dev/null || true
	for i in all lo $(ifaces); do
		sysctl_set "net.ipv4.conf.$i.arp_ignore" 0 2>/dev/null || true
		sysctl_set "net.ipv4.conf.$i.arp_announce" 0 2>/dev/null || true
	done
	echo "setup-dr: removed $VIP from lo, arp_ignore/arp_announce back to 0"
	exit 0
fi

# Sysctls first, so the VIP never answers ARP even for an instant.
for i in all lo $(ifaces); do
	sysctl_set "net.ipv4.conf.$i.arp_ignore" 1
	sysctl_set "net.ipv4.conf.$i.arp_announce" 2
done
ip link set dev lo up
if ! ip -4 -o addr show dev lo | grep -q " $VIP/32 "; then
	ip addr add "$VIP/32" dev lo
fi
echo "setup-dr: $VIP/32 on lo, arp_ignore=1 arp_announce=2 on all lo $(ifaces | tr '\n' ' ')"
