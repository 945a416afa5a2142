#!/bin/sh
# Real-server setup for Fulcrum's TUN (IPIP, ipvsadm -i) method; for an
# IPv6 VIP, IPv6-in-IPv6.
#
#   setup-tun.sh <VIP> [--iface IFACE] [--undo]
#       Kernel mode (real deployments): modprobe ipip, tunl0 up with the VIP
#       (/32; --on-lo puts it on lo instead), rp_filter 0 on tunl0 and all,
#       arp_ignore=1 / arp_announce=2 as for DR. Idempotent.
#   setup-tun.sh <VIP> --userspace [--dev fltun0] [--from DIP] [--iface IFACE]
#       For kernels without the ipip module: the same sysctls, then runs
#       tun-decap.py in the FOREGROUND (start it with & and stop it with
#       SIGTERM); it creates the TUN device with the VIP and removes it on exit.
#
# The real server answers from the VIP straight to the client: its routes
# must reach the client without going through the director.
set -eu

usage() { echo "usage: $0 <VIP> [--userspace [--dev NAME] [--from DIP]] [--on-lo] [--iface IFACE] [--undo]" >&2; exit 2; }

HERE=$(cd "$(dirname "$0")" && pwd)
VIP=""; IFACE=""; UNDO=0; USERSPACE=0; DEV=fltun0; ONLO=0; FROM=""
while [ $# -gt 0 ]; do
	case "$1" in
	--undo) UNDO=1 ;;
	--userspace) USERSPACE=1 ;;
	--on-lo) ONLO=1 ;;
	--dev) [ $# -ge 2 ] || usage; DEV="$2"; shift ;;
	--from) [ $# -ge 2 ] || usage; FROM="$FROM --from $2"; shift ;;
	--iface) [ $# -ge 2 ] || usage; IFACE="$2"; shift ;;
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

# An IPv6 VIP: the director sends IPv6-in-IPv6 (next header 41). The VIP
# goes on ip6tnl0 (ip6_tunnel), or on a TUN device tun-decap.py feeds; a VIP
# on a tunnel or on lo is never advertised by neighbour discovery.
case "$VIP" in
*:*)
	if [ "$UNDO" = 1 ]; then
		[ "$USERSPACE" = 1 ] || ip -6 addr del "$VIP/128" dev "$( [ "$ONLO" = 1 ] && echo lo || echo ip6tnl0 )" 2>/dev/null || true
		echo "setup-tun: undone (a running tun-decap.py is stopped with SIGTERM)"
		exit 0
	fi
	if [ "$USERSPACE" = 1 ]; then
		# shellcheck disable=SC2086
		exec python3 "$HERE/tun-decap.py" --vip "$VIP" --dev "$DEV" $FROM
	fi
	if ! modprobe ip6_tunnel 2>/dev/null && ! ip link show ip6tnl0 >/dev/null 2>&1; then
		echo "setup-tun: no ip6_tunnel module (and no ip6tnl0): use --userspace" >&2
		exit 1
	fi
	HOLDER6=ip6tnl0
	[ "$ONLO" = 1 ] && HOLDER6=lo
	ip link set dev ip6tnl0 up
	sysctl -q -w "net.ipv6.conf.$HOLDER6.disable_ipv6=0" >/dev/null
	if ! ip -6 -o addr show dev "$HOLDER6" | grep -q " $VIP/128 "; then
		ip -6 addr add "$VIP/128" dev "$HOLDER6" nodad
	fi
	echo "setup-tun: ip6tnl0 up, $VIP/128 on $HOLDER6"
	exit 0 ;;
esac

ifaces() {
	if [ -n "$IFACE" ]; then echo "$IFACE"; return; fi
	d=$(ip -4 route show default 2>/dev/null | awk '{for(i=1;i<NF;i++) if($i=="dev"){print $(i+1); exit}}')
	if [ -n "$d" ]; then echo "$d"; return; fi
	ip -o link show | awk -F': ' '{sub(/@.*/, "", $2); if ($2 != "lo") print $2}'
}
sysctl_set() { sysctl -q -w "$1=$2" >/dev/null; }
HOLDER=tunl0
[ "$ONLO" = 1 ] && HOLDER=lo

if [ "$UNDO" = 1 ]; then
	[ "$USERSPACE" = 1 ] || ip addr del "$VIP/32" dev "$HOLDER" 2>/dev/null || true
	for i in all lo $(ifaces); do
		sysctl_set "net.ipv4.conf.$i.arp_ignore" 0 2>/dev/null || true
		sysctl_set "net.ipv4.conf.$i.arp_announce" 0 2>/dev/null || true
	done
	echo "setup-tun: undone (a running tun-decap.py is stopped with SIGTERM)"
	exit 0
fi

for i in all lo $(ifaces); do
	sysctl_set "net.ipv4.conf.$i.arp_ignore" 1
	sysctl_set "net.ipv4.conf.$i.arp_announce" 2
done
sysctl_set net.ipv4.conf.all.rp_filter 0

if [ "$USERSPACE" = 1 ]; then
	# shellcheck disable=SC2086
	exec python3 "$HERE/tun-decap.py" --vip "$VIP" --dev "$DEV" $FROM
fi

if ! modprobe ipip 2>/dev/null && ! ip link show tunl0 >/dev/null 2>&1; then
	echo "setup-tun: no ipip module (and no tunl0): use --userspace" >&2
	exit 1
fi
ip link set dev tunl0 up
sysctl_set net.ipv4.conf.tunl0.rp_filter 0
if [ "$ONLO" = 1 ]; then ip link set lo up; fi
if ! ip -4 -o addr show dev "$HOLDER" | grep -q " $VIP/32 "; then
	ip addr add "$VIP/32" dev "$HOLDER"
fi
echo "setup-tun: tunl0 up, $VIP/32 on $HOLDER, rp_filter 0 (tunl0, all), arp_ignore=1 arp_announce=2"
