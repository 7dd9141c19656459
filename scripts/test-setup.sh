#!/usr/bin/env bash
# Installs what the test suite needs beyond Python packages: Debian's Chromium for browser tests,
# and rasa-webchat from npm (the reference Rasa web client, pinned) for tests/browser/test_rasa_webchat.py.
# Both are generated: nothing here is committed (build/ is git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  echo "chromium not found: installing it from Debian's packages" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

RASA_WEBCHAT_VERSION=1.0.1 # the test checks the installed package.json against the same pin
RASA_WEBCHAT=build/rasa-webchat/node_modules/rasa-webchat
if ! grep -qs "\"version\": \"$RASA_WEBCHAT_VERSION\"" "$RASA_WEBCHAT/package.json" \
  || [ ! -f "$RASA_WEBCHAT/lib/index.js" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "npm not found: installing Node.js from Debian's packages" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  fi
  # Only lib/index.js is used: a UMD bundle with React and socket.io-client inside. Peer
  # dependencies are left out and no install script runs.
  npm install --no-save --no-audit --no-fund --ignore-scripts --omit=peer --silent \
    --prefix build/rasa-webchat "rasa-webchat@$RASA_WEBCHAT_VERSION" >/dev/null
fi
