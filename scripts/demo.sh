#!/usr/bin/env bash
# Fulcrum demo: builds a client, a director and three real servers in network
# namespaces, starts the director and shows the fast path and the exception
# path at work. Ctrl-C stops it and removes everything. Extra args go to
# `fulcrum demo` (e.g. --once).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "demo: must run as root (network namespaces, DPDK): sudo ./scripts/demo.sh" >&2
  exit 1
fi

log="$(mktemp -t fulcrum-setup.XXXXXX.log)"
echo "demo: preparing the machine (scripts/setup.sh, log in $log) ..."
if ! bash scripts/setup.sh >"$log" 2>&1; then
  cat "$log" >&2
  echo "demo: setup failed (see above)" >&2
  exit 1
fi
# Surface setup's loud notes (hugepage fallback) even in quiet mode.
grep -A4 '^####' "$log" >&2 || true

exec node dist/src/cli/fulcrum.js demo "$@"
