#!/usr/bin/env bash
# Print the Debian 12 archive this host installs from (the URIs of the first
# deb822 stanza in debian.sources whose Suites name bookworm and whose URI is
# not the security archive), else deb.debian.org. debootstrap takes it in
# scripts/build-image.sh and test/e2e/package.test.ts.
set -euo pipefail
uri="$(awk -v RS='' '
  /(^|\n)Suites:[^\n]*bookworm/ && match($0, /(^|\n)URIs:[ \t]*[^ \t\n]+/) {
    s = substr($0, RSTART, RLENGTH); sub(/^\n?URIs:[ \t]*/, "", s)
    if (s !~ /security/) { print s; exit }
  }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
echo "${uri:-http://deb.debian.org/debian}"
