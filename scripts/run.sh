#!/usr/bin/env bash
# `make run`: prepare ./var, migrate, seed a demo workspace, then run web + worker + beat in the
# foreground on the embedded default. One Ctrl-C stops all of them (exit status 0); a worker
# that dies is restarted (at most OMNIFLOW_RUN_MAX_RESTARTS times in 10 minutes, each with a
# one-line reason), a web server that dies stops everything with a non-zero status.
# HOST_PORT (default 127.0.0.1:8000) is where the web listens.
set -euo pipefail
cd "$(dirname "$0")/.."
export OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS="${OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS:-true}"
PY=.venv/bin/python
HOST_PORT="${HOST_PORT:-127.0.0.1:8000}"
case "$HOST_PORT" in
  *:*) HOST="${HOST_PORT%:*}" PORT="${HOST_PORT##*:}" ;;
  *) HOST=127.0.0.1 PORT="$HOST_PORT" ;;
esac
# What a browser on this machine opens: a wildcard address listens on loopback too.
case "$HOST" in 0.0.0.0 | "" | "[::]") URL_HOST=127.0.0.1 ;; *) URL_HOST="$HOST" ;; esac
URL="http://$URL_HOST:$PORT/"
MAX_RESTARTS="${OMNIFLOW_RUN_MAX_RESTARTS:-5}"
RESTART_WINDOW_SECONDS=600

# A taken port is said at once, not after the migrations (runserver is checked again below).
if ! $PY -c 'import socket, sys
host = sys.argv[1].strip("[]") or "0.0.0.0"
family = socket.AF_INET6 if ":" in host else socket.AF_INET
with socket.socket(family) as sock:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, int(sys.argv[2])))' "$HOST" "$PORT" 2>/dev/null; then
  echo "The web server did not start on $HOST:$PORT (the port is taken or not ours: set HOST_PORT)." >&2
  exit 1
fi

# Settings create no files: the embedded default's folder, broker file and dev secret are made
# here. The broker carries only nudges and sweeps (the database is the outbox, and the sweeper
# finds whatever a lost nudge would have started), so each run starts it empty.
mkdir -p var
rm -rf var/broker var/broker.sqlite3 var/broker.sqlite3-wal var/broker.sqlite3-shm
$PY -c 'import sqlite3
# WAL is a property of the file, set once: readers never wait for its writer.
sqlite3.connect("var/broker.sqlite3").execute("PRAGMA journal_mode=WAL")
# Its tables and queues are made here, by one process: web, worker and beat that each make them
# on first use race, and kombu lets the loser fail on the UNIQUE queue name.
from omniflow.celery import app
with app.connection_for_write() as connection:
    for queue in app.amqp.queues.values():
        queue(connection.default_channel).declare()'
if [ ! -s var/dev-secret-key ]; then
  $PY -c 'import secrets; print(secrets.token_urlsafe(50))' > var/dev-secret-key
fi

# runserver runs the system checks; once is enough.
$PY manage.py migrate --noinput --skip-checks

worker="" web="" stopping=0
worker_restarts=()

start_worker() {
  # A session of its own: a worker killed outright leaves its beat and pool children behind,
  # and they go with their session (see restart_worker). Ctrl-C reaches this script only.
  setsid .venv/bin/celery -A omniflow worker --beat --loglevel=INFO --concurrency=2 &
  worker=$!
  echo "Worker started (pid $worker)."
}

# Signal the process groups (sessions) led by these pids. Not bash's own `kill -- -PID`: for a
# child it started, bash signals the group it put that child in, which is this script's own.
killgroups() {
  local signal=$1 pid groups=()
  shift
  for pid in "$@"; do groups+=("-$pid"); done
  env kill "$signal" -- "${groups[@]}" 2>/dev/null
}

# "killed by SIGKILL", "exit status 70 (its beat died)": why a process ended, in words.
reason() {
  if [ "$1" -gt 128 ]; then
    echo "killed by SIG$(kill -l "$(($1 - 128))")"
  elif [ "$1" = 70 ]; then
    echo "exit status 70 (its beat died)"
  else
    echo "exit status $1"
  fi
}

restart_worker() {
  local status=$1 now=$SECONDS recent=() at
  killgroups -KILL "$worker" || true
  for at in "${worker_restarts[@]}"; do
    [ $((now - at)) -lt "$RESTART_WINDOW_SECONDS" ] && recent+=("$at")
  done
  worker_restarts=("${recent[@]}" "$now")
  if [ "${#worker_restarts[@]}" -gt "$MAX_RESTARTS" ]; then
    echo "The worker stopped ($(reason "$status")) after $MAX_RESTARTS restarts in" \
      "$((RESTART_WINDOW_SECONDS / 60)) minutes; stopping Omniflow. Webhooks are not being sent." >&2
    exit 1
  fi
  echo "The worker stopped ($(reason "$status")); restarting it" \
    "(restart ${#worker_restarts[@]} of at most $MAX_RESTARTS in $((RESTART_WINDOW_SECONDS / 60)) minutes)." >&2
  start_worker
}

stop() {
  [ "$stopping" = 1 ] && return
  stopping=1
  trap - INT TERM HUP EXIT
  echo "Stopping…"
  # The worker's main process only: a warm shutdown, which stops its pool and beat.
  kill -TERM $worker $web 2>/dev/null || true
  wait $worker $web 2>/dev/null || true
  # Whatever outlived its main process goes too; Ctrl-C returns once all of it is gone.
  killgroups -KILL "$worker" "$web" || true
  local tries=50
  while [ $tries -gt 0 ] && { killgroups -0 "$worker" || killgroups -0 "$web"; }; do
    sleep 0.1
    tries=$((tries - 1))
  done
}

supervise() {
  # No job control in here: a foreground command would otherwise hand the terminal back to
  # the group of `make` when it ends, and Ctrl-C would reach make instead of this.
  set +m
  # Ctrl-C (or a TERM, or the terminal closing) is how this is meant to end: exit 0.
  trap 'stop; exit 0' INT TERM HUP
  trap stop EXIT
  start_worker
  setsid $PY manage.py runserver --noreload "$HOST:$PORT" &
  web=$!
  echo "Web server started (pid $web)."
  $PY manage.py seed_demo --base-url "$URL" > var/seed.txt &
  local seed=$!

  # "Up" only once the web answers; if it dies first (say the port is taken), say so and stop.
  until $PY -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + 'healthz', timeout=1)" "$URL" 2>/dev/null; do
    if ! kill -0 "$web" 2>/dev/null; then
      echo "The web server did not start on $HOST:$PORT (is the port taken? set HOST_PORT)." >&2
      exit 1
    fi
    sleep 0.3
  done
  wait "$seed"
  cat var/seed.txt
  rm -f var/seed.txt
  echo "Omniflow is up at $URL (Ctrl-C stops web, worker and beat)."

  local ended status
  while true; do
    set +e
    wait -n -p ended "$worker" "$web"
    status=$?
    set -e
    if [ "$ended" = "$worker" ]; then
      restart_worker "$status"
    else
      echo "The web server stopped ($(reason "$status")); stopping the worker too." >&2
      exit $((status == 0 ? 1 : status))
    fi
  done
}

# With a terminal, the supervisor runs as a job of its own that holds the terminal: Ctrl-C
# reaches it and not `make`, which then exits 0 too instead of dying of the signal. (Bash
# hands the terminal over through stderr: with stderr redirected, everyone gets the Ctrl-C.)
[ -t 0 ] && [ -t 2 ] && set -m
( supervise )
