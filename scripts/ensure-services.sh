#!/usr/bin/env bash
# Make sure the test suite's real parts are here and running on 127.0.0.1:
# PostgreSQL (5432, user postgres, trust auth), Redis (6379, noeviction), Debian's Chromium and nginx.
# Installs them with apt-get when missing (Debian; needs root), starts them when stopped.
set -euo pipefail

apt_updated=0
apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "Missing $*; install it (apt-get install -y $*) or run as root." >&2
    exit 1
  fi
  if [ "$apt_updated" = 0 ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# --- PostgreSQL ---------------------------------------------------------------------------
if ! command -v pg_ctlcluster >/dev/null || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
  echo "Installing PostgreSQL…"
  apt_install postgresql
  version=$(ls /etc/postgresql | sort -V | tail -n1)
  # A fresh Debian cluster asks for passwords over TCP; tests connect as postgres on loopback.
  sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' \
    "/etc/postgresql/$version/main/pg_hba.conf"
fi
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  version=$(ls /etc/postgresql | sort -V | tail -n1)
  echo "Starting PostgreSQL $version…"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432

# --- Redis --------------------------------------------------------------------------------
if ! command -v redis-server >/dev/null; then
  echo "Installing Redis…"
  apt_install redis-server
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "Starting Redis…"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --maxmemory-policy noeviction --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
fi
# Rate-limit counters and the broker's queues must never be evicted.
redis-cli -h 127.0.0.1 -p 6379 config set maxmemory-policy noeviction >/dev/null
echo "Redis: $(redis-cli -h 127.0.0.1 -p 6379 ping)"

# --- Chromium (Settings pages are tested in a real headless browser) ----------------------
if [ ! -x /usr/bin/chromium ]; then
  echo "Installing Chromium…"
  apt_install chromium chromium-driver
fi
echo "Chromium: $(/usr/bin/chromium --version 2>/dev/null || echo missing)"

# --- nginx (agent-tool paths are tested against a real, normalising web server) ------------
if [ ! -x /usr/sbin/nginx ]; then
  echo "Installing nginx…"
  apt_install nginx
fi
echo "nginx: $(/usr/sbin/nginx -v 2>&1)"

# --- Node (tests verify real deliveries with the npm `standardwebhooks` package) ------------
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "Installing Node.js and npm…"
  apt_install nodejs npm
fi
node_dir="$(dirname "$0")/../tests/webhooks/node"
if [ ! -d "$node_dir/node_modules/standardwebhooks" ] || \
   [ "$node_dir/package-lock.json" -nt "$node_dir/node_modules/.package-lock.json" ]; then
  echo "Installing the pinned npm packages of tests/webhooks/node…"
  (cd "$node_dir" && npm ci --no-audit --no-fund --silent)
fi
echo "Node: $(node --version)"
