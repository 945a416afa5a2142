#!/usr/bin/env bash
# Reserve N 2 MB hugepages (default 1024 = 2 GB) and mount hugetlbfs on
# /dev/hugepages. Idempotent. Prints what it got: the kernel may grant fewer
# pages than asked when memory is fragmented; the daemon's memory.hugepages
# setting decides whether that is fatal ("require") or falls back ("auto").
set -euo pipefail
want="${1:-1024}"
sysfs=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
cur="$(cat "$sysfs")"
if [ "$cur" -lt "$want" ]; then
  echo "$want" > "$sysfs" || true
fi
got="$(cat "$sysfs")"
mkdir -p /dev/hugepages
if ! mountpoint -q /dev/hugepages; then
  mount -t hugetlbfs nodev /dev/hugepages
fi
echo "hugepages: $got x 2 MB reserved (asked $want), hugetlbfs on /dev/hugepages"
