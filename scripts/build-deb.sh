#!/usr/bin/env bash
# Build fulcrum_<version>_amd64.deb from this tree: `npm run package`
# (or scripts/build-deb.sh [--version V] [--out DIR]).
#
# dpkg-deb from a staged tree, not debhelper: the build is npm + cmake-js,
# which debhelper would only wrap (and dh-nodejs expects Debian-packaged
# modules for every dependency, which fastify 5's are not); one script
# that stages what is installed keeps the package's contents in one place
# that reads top to bottom. lintian checks the result (see README).
#
# Installs: /usr/lib/fulcrum (dist/src, the addon, production node_modules,
# appliance/), /usr/bin/fulcrum and fulcrumadm, the systemd units,
# /etc/fulcrum/fulcrum.json (a conffile: kept on upgrade), a `fulcrum`
# system user owning /var/lib/fulcrum (the state file's directory).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"

VERSION="$(node -p "require('./package.json').version")"
OUT="$ROOT/build/deb"
while [ $# -gt 0 ]; do
  case "$1" in
    --version) VERSION="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    *) echo "build-deb: unknown option $1 (--version V, --out DIR)" >&2; exit 2 ;;
  esac
done

[ -f build/native/Release/fulcrum_native.node ] && [ -f dist/src/cli/fulcrum.js ] || {
  echo "build-deb: build first (npm run build)" >&2; exit 1; }

STAGE="$(mktemp -d "${TMPDIR:-/tmp}/fulcrum-deb.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT
PKG="$STAGE/fulcrum"
LIB="$PKG/usr/lib/fulcrum"
mkdir -p "$LIB/build/native/Release" "$PKG/usr/bin" "$PKG/lib/systemd/system" "$PKG/etc/fulcrum" \
  "$PKG/usr/share/doc/fulcrum" "$PKG/DEBIAN"

# What runs: the compiled control plane (not the tests), the addon, the
# production dependencies exactly as the lock file pins them.
cp -r dist/src "$LIB/dist-src"
mkdir -p "$LIB/dist" && mv "$LIB/dist-src" "$LIB/dist/src"
find "$LIB/dist" -name '*.map' -delete
install -m 0644 build/native/Release/fulcrum_native.node "$LIB/build/native/Release/"
strip --strip-unneeded "$LIB/build/native/Release/fulcrum_native.node"
cp package.json package-lock.json "$LIB/"
# `fulcrum --version` says what dpkg says.
node -e 'const f=process.argv[1]; const j=require(f); j.version=process.argv[2]; require("fs").writeFileSync(f, JSON.stringify(j, null, 2) + "\n")' "$LIB/package.json" "$VERSION"
(cd "$LIB" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
rm -f "$LIB/package-lock.json"
# What the modules ship for their own development (lint configs, benchmarks,
# CI scripts, docs pages that load scripts from CDNs) is not installed, and
# nothing in them is run as a program.
NM="$LIB/node_modules"
rm -rf "$NM/.bin" "$NM/.package-lock.json"
find "$NM" -depth -type d \( -name integration -o -name benchmarks -o -name bench -o -name .github -o -name .husky \) -exec rm -rf {} +
find "$NM" -type f \( -name '.eslintrc*' -o -name '.npmignore' -o -name '.git*' -o -name '*.sh' -o -name '*.html' -o -name '*.map' \) -delete
# Executable bits only where there is an interpreter line (a module's bin).
find "$NM" -type f -perm /111 -exec sh -c 'for f; do [ "$(head -c2 "$f")" = "#!" ] || chmod a-x "$f"; done' sh {} +
find "$NM" -type f -name '*.js' -exec sh -c 'for f; do [ "$(head -c2 "$f")" = "#!" ] && chmod a+x "$f"; done; true' sh {} +
cp -r appliance "$LIB/appliance"
# Byte code a local python3 run left beside the scripts is not part of the package.
find "$LIB/appliance" -depth -type d -name __pycache__ -exec rm -rf {} +
chmod 0755 "$LIB/dist/src/cli/fulcrum.js" "$LIB/dist/src/cli/fulcrumadm.js"
ln -s ../lib/fulcrum/dist/src/cli/fulcrum.js "$PKG/usr/bin/fulcrum"
ln -s ../lib/fulcrum/dist/src/cli/fulcrumadm.js "$PKG/usr/bin/fulcrumadm"

# Manual pages from the programs' own --help (help2man), so they cannot drift.
mkdir -p "$PKG/usr/share/man/man8"
help2man --no-info --section 8 --name 'Layer-4 load balancer (DPDK director): daemon, setup, doctor, demo and tools' \
  "node $ROOT/dist/src/cli/fulcrum.js" | gzip -9n > "$PKG/usr/share/man/man8/fulcrum.8.gz"
help2man --no-info --section 8 --name 'ipvsadm-compatible administration of a Fulcrum director' \
  "node $ROOT/dist/src/cli/fulcrumadm.js" | gzip -9n > "$PKG/usr/share/man/man8/fulcrumadm.8.gz"

install -m 0644 appliance/systemd/fulcrum.service appliance/systemd/fulcrum-setup.service "$PKG/lib/systemd/system/"
install -m 0644 appliance/fulcrum.example.json "$PKG/etc/fulcrum/fulcrum.json"

cat > "$PKG/usr/share/doc/fulcrum/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: fulcrum
Source: https://github.com/fulcrum-lb/fulcrum

Files: *
Copyright: 2026 The Fulcrum authors
License: Apache-2.0
 On Debian systems the full text of the Apache License 2.0 is in
 /usr/share/common-licenses/Apache-2.0.
EOF
printf 'fulcrum (%s) unstable; urgency=medium\n\n  * Built from the tree by scripts/build-deb.sh.\n\n -- Fulcrum maintainers <maintainers@fulcrum.invalid>  %s\n' \
  "$VERSION" "$(date -R -u -d @"${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")" \
  | gzip -9n > "$PKG/usr/share/doc/fulcrum/changelog.gz"

# The addon's shared libraries, as dpkg-shlibdeps maps them to packages and
# versions (it wants a debian/control to read; a two-line one does), then
# what EAL loads as plugins at run time: the mempool handler and the PMDs of
# the port types (net_tap twins, af_packet, af_xdp, virtio).
SHL="$STAGE/shlibs"
mkdir -p "$SHL/debian"
printf 'Source: fulcrum\n\nPackage: fulcrum\nArchitecture: amd64\n' > "$SHL/debian/control"
cp "$LIB/build/native/Release/fulcrum_native.node" "$SHL/"
SHLIBS="$(cd "$SHL" && dpkg-shlibdeps -O -e fulcrum_native.node 2>/dev/null | sed -n 's/^shlibs:Depends=//p')"
[ -n "$SHLIBS" ] || { echo "build-deb: dpkg-shlibdeps found no libraries for the addon" >&2; exit 1; }
PLUGINS="librte-mempool-ring23, librte-net-tap23, librte-net-af-packet23, librte-net-af-xdp23, librte-net-virtio23, libxdp1"

SIZE_KB="$(du -sk --exclude=DEBIAN "$PKG" | cut -f1)"
cat > "$PKG/DEBIAN/control" <<EOF
Package: fulcrum
Version: $VERSION
Architecture: amd64
Maintainer: Fulcrum maintainers <maintainers@fulcrum.invalid>
Installed-Size: $SIZE_KB
Depends: $SHLIBS, $PLUGINS, nodejs (>= 20), dpdk (>= 22.11), python3, iproute2, ethtool, kmod, adduser
Recommends: keepalived
Section: net
Priority: optional
Homepage: https://github.com/fulcrum-lb/fulcrum
Description: Layer-4 load balancer appliance (LVS-style director) on DPDK
 Fulcrum is a director in the LVS sense: clients connect to a virtual IP
 and Fulcrum spreads their connections over real servers by FULLNAT, DR,
 NAT or TUN, with the IPVS scheduler family, persistence and per-core
 session tables, polled by DPDK workers. A TypeScript control plane
 gives it an HTTP API, Prometheus metrics, keepalived-style health checks
 and fulcrumadm, an ipvsadm-compatible CLI.
EOF
echo /etc/fulcrum/fulcrum.json > "$PKG/DEBIAN/conffiles"

cat > "$PKG/DEBIAN/postinst" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
  if ! getent passwd fulcrum >/dev/null; then
    adduser --system --group --home /var/lib/fulcrum --no-create-home --quiet fulcrum
  fi
  mkdir -p /var/lib/fulcrum
  chown fulcrum:fulcrum /var/lib/fulcrum
  chmod 0750 /var/lib/fulcrum
  if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null || true; fi
fi
EOF
cat > "$PKG/DEBIAN/prerm" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
  deb-systemd-invoke stop fulcrum.service >/dev/null 2>&1 || true
fi
EOF
cat > "$PKG/DEBIAN/postrm" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = purge ]; then
  rm -rf /var/lib/fulcrum
  rmdir /etc/fulcrum 2>/dev/null || true
  if getent passwd fulcrum >/dev/null; then deluser --system --quiet fulcrum || true; fi
  if getent group fulcrum >/dev/null; then delgroup --system --quiet fulcrum || true; fi
fi
if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null || true; fi
EOF
chmod 0755 "$PKG/DEBIAN/postinst" "$PKG/DEBIAN/prerm" "$PKG/DEBIAN/postrm"

mkdir -p "$OUT"
DEB="$OUT/fulcrum_${VERSION}_amd64.deb"
dpkg-deb --root-owner-group -Zxz --build "$PKG" "$DEB" >/dev/null
echo "$DEB"
