#!/usr/bin/env bash
# Installs what the test suite needs beyond Python packages: Debian's Chromium (browser tests),
# systemd's `systemd-analyze`, nginx and logrotate (check the files in deploy/), axe-core from
# npm (the accessibility checker the browser tests run on the widget and the console), and
# rasa-webchat from npm (the reference Rasa web client, pinned) for tests/browser/test_rasa_webchat.py.
# All are generated: nothing here is committed (build/ is git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v logrotate >/dev/null 2>&1 || [ -x /usr/sbin/logrotate ] || missing+=(logrotate)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} from Debian's packages" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

AXE_VERSION=4.10.3  # pinned: a checker's findings change between versions
AXE=build/js/node_modules/axe-core
if ! grep -qs "\"version\": \"$AXE_VERSION\"" "$AXE/package.json" || [ ! -f "$AXE/axe.min.js" ]; then
  npm install --no-audit --no-fund --silent --prefix build/js "axe-core@$AXE_VERSION" >/dev/null
fi

RASA_WEBCHAT_VERSION=1.0.1 # the test checks the installed package.json against the same pin
RASA_WEBCHAT=build/rasa-webchat/node_modules/rasa-webchat
if ! grep -qs "\"version\": \"$RASA_WEBCHAT_VERSION\"" "$RASA_WEBCHAT/package.json" \
  || [ ! -f "$RASA_WEBCHAT/lib/index.js" ]; then
  # Only lib/index.js is used: a UMD bundle with React and socket.io-client inside. Peer
  # dependencies are left out and no install script runs.
  npm install --no-save --no-audit --no-fund --ignore-scripts --omit=peer --silent \
    --prefix build/rasa-webchat "rasa-webchat@$RASA_WEBCHAT_VERSION" >/dev/null
fi
