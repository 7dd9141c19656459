#!/usr/bin/env bash
# Installs what the test suite needs beyond Python packages: Debian's Chromium (browser tests),
# systemd's `systemd-analyze`, nginx and logrotate (check the files in deploy/), and axe-core
# from npm (the accessibility checker the browser tests run on the widget and the console).
set -euo pipefail
cd "$(dirname "$0")/.."
AXE=axe-core@4.10.3  # pinned: a checker's findings change between versions
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v logrotate >/dev/null 2>&1 || [ -x /usr/sbin/logrotate ] || missing+=(logrotate)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} from Debian's packages" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ ! -f build/js/node_modules/axe-core/axe.min.js ] \
  || ! grep -q "\"version\": \"${AXE#axe-core@}\"" build/js/node_modules/axe-core/package.json; then
  npm install --no-audit --no-fund --silent --prefix build/js "$AXE" >/dev/null
fi
