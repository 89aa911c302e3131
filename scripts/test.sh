#!/usr/bin/env bash
# The whole test suite: type-check, lint, then every jest project, on SQLite
# and (when it can be had) PostgreSQL. Called by `./dev test` and by CI.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1;34m[dq]\033[0m %s\n' "$*" >&2; }

# Without Docker, TestDatabases must never try to start a container.
export BACKSTAGE_TEST_DISABLE_DOCKER=1

if ! env | grep -q '^BACKSTAGE_TEST_DATABASE_POSTGRES[0-9]*_CONNECTION_STRING='; then
  pg="$(bash scripts/postgres.sh || true)"
  if [ -n "$pg" ]; then
    version="${pg%% *}"
    export "BACKSTAGE_TEST_DATABASE_POSTGRES${version}_CONNECTION_STRING=${pg#* }"
    log "PostgreSQL $version at ${pg#* }"
  fi
fi
if [ -n "${CI:-}" ]; then
  # In CI a skipped PostgreSQL must fail the run, not pass unnoticed.
  export DQ_REQUIRE_POSTGRES=1
fi

log "type-check"
yarn tsc
log "lint"
yarn lint:all
log "prettier"
yarn prettier:check >/dev/null

log "unit and integration tests"
results="$(mktemp)"
set +e
yarn backstage-cli repo test --watchAll=false --json --outputFile="$results"
status=$?
set -e
if [ -s "$results" ]; then
  node -e '
    const r = require(process.argv[1]);
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
  ' "$results"
fi
exit $status
