#!/usr/bin/env bash
# `make run`: prepare ./var, migrate, seed a demo workspace, then run web + worker + beat in the
# foreground on the embedded default. One Ctrl-C stops all of them (exit status 0).
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

# Settings create no files: the embedded default's folders and dev secret are made here.
mkdir -p var/broker/queue var/broker/processed var/broker/control
if [ ! -s var/dev-secret-key ]; then
  $PY -c 'import secrets; print(secrets.token_urlsafe(50))' > var/dev-secret-key
fi

$PY manage.py migrate --noinput
$PY manage.py seed_demo

pids=()
stopping=0
stop() {
  [ "$stopping" = 1 ] && return
  stopping=1
  trap - INT TERM EXIT
  echo "Stopping…"
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
# Ctrl-C (or a TERM) is how this is meant to end: stop everything and exit 0.
trap 'stop; exit 0' INT TERM
trap stop EXIT

.venv/bin/celery -A omniflow worker --beat --loglevel=INFO --concurrency=2 &
pids+=($!)
$PY manage.py runserver --noreload "$HOST:$PORT" &
web=$!
pids+=("$web")

# "Up" only once the web answers; if it dies first (say the port is taken), say so and stop.
until $PY -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + 'healthz', timeout=1)" "$URL" 2>/dev/null; do
  if ! kill -0 "$web" 2>/dev/null; then
    echo "The web server did not start on $HOST:$PORT (is the port taken? set HOST_PORT)." >&2
    exit 1
  fi
  sleep 0.3
done
echo "Omniflow is up at $URL (Ctrl-C stops web, worker and beat)."
# Whichever process ends first ends the others.
set +e
wait -n "${pids[@]}"
status=$?
echo "A process exited (status $status); stopping the others." >&2
exit "$status"
