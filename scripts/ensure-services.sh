#!/usr/bin/env bash
# Make sure the services the test suite needs are up: PostgreSQL on 127.0.0.1:5432 and Redis on
# 127.0.0.1:6379. Starts them when installed but stopped; installs them with apt-get when missing.
set -euo pipefail

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! port_open 5432; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    echo "ensure-services: installing PostgreSQL"
    apt_install postgresql
  fi
  ver=$(ls /etc/postgresql | sort -V | tail -n 1)
  conf="/etc/postgresql/$ver/main/pg_hba.conf"
  # Tests connect as postgres over TCP without a password (trust on loopback only).
  if ! grep -q "mamori-test" "$conf"; then
    sed -i '1i host all all 127.0.0.1/32 trust # mamori-test\nhost all all ::1/128 trust # mamori-test' "$conf"
  fi
  echo "ensure-services: starting PostgreSQL $ver"
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start
  for _ in $(seq 1 60); do port_open 5432 && break; sleep 0.5; done
fi
port_open 5432 || { echo "ensure-services: PostgreSQL is not reachable on 5432" >&2; exit 1; }

if ! port_open 6379; then
  command -v redis-server >/dev/null || { echo "ensure-services: installing Redis"; apt_install redis-server; }
  echo "ensure-services: starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 1 40); do port_open 6379 && break; sleep 0.25; done
fi
port_open 6379 || { echo "ensure-services: Redis is not reachable on 6379" >&2; exit 1; }
echo "ensure-services: PostgreSQL and Redis are up"
