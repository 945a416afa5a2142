#!/bin/sh
# Real-server setup for Fulcrum's NAT (masquerading, ipvsadm -m) method.
#
#   setup-nat.sh <DIP> [--undo]
#
# Replies must go back through the director, which translates RIP:rport back
# to VIP:vport: the real server's default route is the director's DIP on the
# server segment. Idempotent (route replace). --undo deletes that default route.
set -eu
usage() { echo "usage: $0 <DIP> [--undo]" >&2; exit 2; }
DIP=""; UNDO=0
while [ $# -gt 0 ]; do
	case "$1" in
	--undo) UNDO=1 ;;
	-*) usage ;;
	*) [ -z "$DIP" ] || usage; DIP="$1" ;;
	esac
	shift
done
[ -n "$DIP" ] || usage
# The DIP's family picks the route table (ip -4 or ip -6).
case "$DIP" in
*:*) FAM=-6; case "$DIP" in *[!0-9a-fA-F:]*) echo "$0: bad DIP '$DIP'" >&2; exit 2 ;; esac ;;
*[!0-9.]*) echo "$0: bad DIP '$DIP'" >&2; exit 2 ;;
*) FAM=-4 ;;
esac
if [ "$UNDO" = 1 ]; then
	ip "$FAM" route del default via "$DIP" 2>/dev/null || true
	echo "setup-nat: default route via $DIP removed"
	exit 0
fi
ip "$FAM" route replace default via "$DIP"
echo "setup-nat: default route via $DIP"
