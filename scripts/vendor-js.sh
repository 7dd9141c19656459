#!/usr/bin/env bash
# Copies the Socket.IO browser client from npm into static/vendor/ (git-ignored),
# where the server serves it and the wheel carries it (package data).
set -euo pipefail
cd "$(dirname "$0")/.."
SOCKET_IO=socket.io-client@4.8.4  # pinned: the version the tests ran with
if [ -f static/vendor/socket.io.min.js ]; then exit 0; fi
if ! command -v npm >/dev/null 2>&1; then
  echo "npm not found: installing Node.js from Debian's packages" >&2
  apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi
npm install --no-audit --no-fund --silent --prefix build/js "$SOCKET_IO" >/dev/null
mkdir -p static/vendor
cp build/js/node_modules/socket.io-client/dist/socket.io.min.js static/vendor/
