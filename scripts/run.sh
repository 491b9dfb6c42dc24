#!/usr/bin/env bash
# `make run`: migrate, seed a demo workspace, then run web + worker + beat in the foreground
# on the embedded default. One Ctrl-C stops all of them.
set -euo pipefail
cd "$(dirname "$0")/.."
export OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS="${OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS:-true}"
PY=.venv/bin/python
HOST_PORT="${HOST_PORT:-127.0.0.1:8000}"

$PY manage.py migrate --noinput
$PY manage.py seed_demo

pids=()
stop() {
  trap - INT TERM EXIT
  echo "Stopping…"
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT

.venv/bin/celery -A omniflow worker --beat --loglevel=INFO --concurrency=2 &
pids+=($!)
$PY manage.py runserver --noreload "$HOST_PORT" &
pids+=($!)
echo "Omniflow is up at http://$HOST_PORT/ (Ctrl-C stops web, worker and beat)."
# Whichever process ends first ends the others.
wait -n "${pids[@]}"
