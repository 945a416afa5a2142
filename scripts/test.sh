#!/usr/bin/env bash
# The full test suite: machine setup + build, then every test (unit, native,
# packet fixtures, network-namespace end-to-end). As root nothing is skipped.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "" >&2
  echo "##########################################################################" >&2
  echo "##  NOT ROOT: the network-namespace end-to-end tests WILL BE SKIPPED.    ##" >&2
  echo "##  Run as root (sudo ./scripts/test.sh) for the full suite.            ##" >&2
  echo "##########################################################################" >&2
  echo "" >&2
fi

bash scripts/setup.sh

set +e
npm test
rc=$?
set -e
exit "$rc"
