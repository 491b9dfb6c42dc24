#!/usr/bin/env bash
# Run the whole suite against PostgreSQL and Redis on 127.0.0.1 (see ensure-services.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
export DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/omniflow}"
export REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/1}"
export OMNIFLOW_SECRETS_KEY="${OMNIFLOW_SECRETS_KEY:-dGVzdC1zZWNyZXRzLWtleS0wMTIzNDU2Nzg5YWJjZGU=}"
export SECRET_KEY="${SECRET_KEY:-test-secret-key-not-for-production}"
export DEBUG=false
export STATIC_MANIFEST=false
# pytest exits 5 when it collected no test: that is a failure here, as every non-zero exit is.
exec .venv/bin/python -m pytest "$@"
