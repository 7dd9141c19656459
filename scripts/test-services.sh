#!/usr/bin/env bash
# Make sure the services the test suite talks to are answering on loopback:
# PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth) and Redis on 127.0.0.1:6379.
# Starts whichever is not answering; installs them first on a machine without them.
set -euo pipefail

PG_HOST=127.0.0.1 PG_PORT=5432 REDIS_PORT=6379

answering() { # host port
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

wait_for() { # name host port
  for _ in $(seq 1 50); do
    answering "$2" "$3" && return 0
    sleep 0.2
  done
  echo "test-services: $1 is still not answering on $2:$3" >&2
  return 1
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

if ! answering "$PG_HOST" "$PG_PORT"; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  version=$(ls /etc/postgresql | sort -V | tail -1)
  hba=/etc/postgresql/$version/main/pg_hba.conf
  # Tests connect as postgres without a password, over TCP on loopback only.
  if ! grep -q "^host all all 127.0.0.1/32 trust" "$hba"; then
    as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_for PostgreSQL "$PG_HOST" "$PG_PORT"
fi

if ! answering 127.0.0.1 "$REDIS_PORT"; then
  if ! command -v redis-server >/dev/null; then
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  fi
  as_root mkdir -p /var/lib/redis /var/log/redis
  as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" \
    --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for Redis 127.0.0.1 "$REDIS_PORT"
fi

echo "test-services: PostgreSQL on $PG_HOST:$PG_PORT and Redis on 127.0.0.1:$REDIS_PORT are up"
