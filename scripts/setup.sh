#!/usr/bin/env bash
# Fulcrum machine preparation for a fresh Debian 12 (idempotent).
#   - as root: installs the Debian packages the build and the tests need,
#     reserves 2 MB hugepages and mounts hugetlbfs;
#   - as anyone: npm ci (when node_modules is missing or stale) and npm run build.
# Environment: FULCRUM_HUGEPAGES (default 512 x 2 MB pages).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

log()  { echo "setup: $*"; }
warn() { echo "setup: WARNING: $*" >&2; }
die()  { echo "setup: ERROR: $*" >&2; exit 1; }
loud() {
  echo "" >&2
  echo "##########################################################################" >&2
  for line in "$@"; do echo "## $line" >&2; done
  echo "##########################################################################" >&2
  echo "" >&2
}

PKGS=(dpdk libdpdk-dev dpdk-dev pkg-config cmake g++ make iproute2 socat curl
      python3 iputils-ping tcpdump procps kmod ca-certificates ethtool
      dnsmasq-base  # a real DNS server for the DNS_CHECK e2e test
      prometheus   # promtool check metrics (unit) and a real Prometheus (e2e/metrics)
      clang libclang-rt-14-dev   # the fuzz harness and the C tests under ASan/UBSan
      nginx-light libnginx-mod-stream haproxy   # real servers that read the PROXY header (e2e)
      wrk nftables   # the load of the benchmarks, and the in-kernel DNAT peer of npm run bench:peers
      keepalived tshark   # VRRP for the director pair, and the IPVS sync dissector (e2e/failover)
      bird2 exabgp  # the ECMP router and the directors' BGP speakers (e2e/ecmp)
      librte-net-af-xdp23 libxdp1  # AF_XDP ports ("iface:" devices; libdpdk-dev pulls them in too)
      dpkg-dev help2man lintian debootstrap dpkg-repack   # npm run package, and its install/upgrade/purge test (e2e/package)
      e2fsprogs dosfstools mtools fdisk qemu-system-x86 ovmf)  # npm run image, and its boot test (e2e/image)
WANT_PAGES="${FULCRUM_HUGEPAGES:-512}"
IS_ROOT=0
[ "$(id -u)" -eq 0 ] && IS_ROOT=1

# ---------------------------------------------------------------- packages
missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$IS_ROOT" -eq 1 ]; then
    command -v apt-get >/dev/null || die "apt-get not found: this script targets Debian 12"
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || die "apt-get update failed"
    # Servers installed for the tests (nginx, haproxy, bird, exabgp) must not start as
    # host daemons: the tests run their own in namespaces. policy-rc.d is
    # Debian's switch for that (exit 101: action forbidden).
    policy_rc=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      policy_rc=/usr/sbin/policy-rc.d
      printf '#!/bin/sh\nexit 101\n' > "$policy_rc" && chmod 755 "$policy_rc"
    fi
    rc=0
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || rc=$?
    [ -n "$policy_rc" ] && rm -f "$policy_rc"
    [ "$rc" -eq 0 ] || die "apt-get install ${missing[*]} failed"
  else
    warn "not root: cannot install missing packages: ${missing[*]} (the build may fail)"
  fi
else
  log "Debian packages present"
fi

# ---------------------------------------------------------------- node / npm
command -v node >/dev/null || die "node not found: install Node.js 20 or newer"
command -v npm  >/dev/null || die "npm not found"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || die "Node.js >= 20 required, found $(node -v)"
pkg-config --exists libdpdk || die "pkg-config cannot find libdpdk (install libdpdk-dev as root)"

if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] \
   || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error || die "npm ci failed"
else
  log "node_modules up to date"
fi

log "npm run build"
npm run build || die "npm run build failed"

# ---------------------------------------------------------------- hugepages
if [ "$IS_ROOT" -eq 1 ]; then
  nr=/proc/sys/vm/nr_hugepages
  if [ -w "$nr" ] || [ -e "$nr" ]; then
    cur="$(cat "$nr" 2>/dev/null || echo 0)"
    if [ "$cur" -lt "$WANT_PAGES" ]; then
      echo "$WANT_PAGES" > "$nr" 2>/dev/null || true
      cur="$(cat "$nr" 2>/dev/null || echo 0)"
    fi
  fi
  if ! grep -qs ' /dev/hugepages hugetlbfs ' /proc/mounts; then
    mkdir -p /dev/hugepages
    mount -t hugetlbfs -o pagesize=2M nodev /dev/hugepages 2>/dev/null \
      || mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null \
      || warn "could not mount hugetlbfs on /dev/hugepages"
  fi
  free_pages="$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)"
  page_kb="$(awk '/^Hugepagesize:/ {print $2}' /proc/meminfo)"
  free_mb=$(( ${free_pages:-0} * ${page_kb:-2048} / 1024 ))
  if grep -qs ' /dev/hugepages hugetlbfs ' /proc/mounts && [ "$free_mb" -ge 256 ]; then
    log "hugepages: ${free_mb} MB free on /dev/hugepages"
  else
    loud "HUGEPAGES: only ${free_mb} MB free (wanted ${WANT_PAGES} x 2 MB, the daemon needs 256 MB)." \
         "With memory.hugepages \"auto\" the daemon falls back to --no-huge (slower," \
         "anonymous memory). Set memory.hugepages \"require\" to refuse instead."
  fi
else
  warn "not root: skipping hugepage reservation"
fi

log "done"
