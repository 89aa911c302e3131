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

log "generated code matches the OpenAPI spec"
node scripts/openapi/generate.mjs --check
node scripts/config-schema/generate.mjs --check
log "type-check"
yarn tsc
log "lint"
yarn lint:all
log "prettier"
yarn prettier:check >/dev/null
log "alerting rules (promtool)"
bash scripts/ops/check-rules.sh

log "unit and integration tests"
output="$(mktemp)"
set +e
yarn backstage-cli repo test --watchAll=false 2>&1 | tee "$output"
status=${PIPESTATUS[0]}
set -e
# Jest's "Tests: 3 failed, 56 passed, 59 total".
summary="$(grep -E '^Tests: ' "$output" | tail -1)"
passed="$(sed -nE 's/.* ([0-9]+) passed.*/\1/p' <<<"$summary")"
failed="$(sed -nE 's/.* ([0-9]+) failed.*/\1/p' <<<"$summary")"
skipped="$(sed -nE 's/.* ([0-9]+) skipped.*/\1/p' <<<"$summary")"
passed="${passed:-0}" failed="${failed:-0}" skipped="${skipped:-0}"
rm -f "$output"
if [ -z "$summary" ] || [ "$passed" = 0 ]; then
  log "no test ran"
  exit 1
fi

# Reliability scripts against the real parts: separate processes, SIGKILL,
# a stopped PostgreSQL. DQ_SKIP_RELIABILITY=1 skips them for a quick local run.
reliability() {
  log "reliability: $*"
  if node --no-warnings "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    status=1
  fi
}
if [ -n "${DQ_SKIP_RELIABILITY:-}" ]; then
  log "reliability scripts, the bench smoke, the browser e2e and the install check skipped (DQ_SKIP_RELIABILITY)"
  skipped=$((skipped + 7))
else
  reliability scripts/reliability/crash-test.mjs --db sqlite --events 50000
  # Two replicas share one PostgreSQL database (the scheduler's lock is in
  # it), on the server the tests above used.
  if env | grep -q '^BACKSTAGE_TEST_DATABASE_POSTGRES'; then
    if [ -z "${DQ_RELIABILITY_PG:-}" ]; then
      DQ_RELIABILITY_PG="$(env | sed -nE 's/^BACKSTAGE_TEST_DATABASE_POSTGRES[0-9]*_CONNECTION_STRING=//p' | head -1)"
      export DQ_RELIABILITY_PG
    fi
    reliability scripts/reliability/two-replicas-test.mjs --events 5000 --period 2 --interval 30 --time-limit 180
  elif [ -n "${CI:-}" ]; then
    log "the two-replica test needs PostgreSQL"
    failed=$((failed + 1))
    status=1
  else
    log "two-replica test skipped: needs PostgreSQL"
    skipped=$((skipped + 1))
  fi
  if env | grep -q '^BACKSTAGE_TEST_DATABASE_POSTGRES' && command -v pg_ctlcluster >/dev/null && [ "$(id -u)" = 0 ]; then
    reliability scripts/reliability/db-outage-test.mjs --events 20000 --outage 30
  elif [ -n "${CI:-}" ]; then
    log "the PostgreSQL outage test needs root and Debian's PostgreSQL"
    failed=$((failed + 1))
    status=1
  else
    log "PostgreSQL outage test skipped: needs root and Debian's PostgreSQL"
    skipped=$((skipped + 1))
  fi
  # The benchmark at smoke size (bounded to 5 min): it runs end to end and
  # every figure is sane; the targets are for the full run (`yarn bench`).
  if env | grep -q '^BACKSTAGE_TEST_DATABASE_POSTGRES'; then
    reliability scripts/bench/run.mjs --smoke --db both
  else
    reliability scripts/bench/run.mjs --smoke --db sqlite
  fi
  # The portal in Debian's Chromium (installed with apt when missing);
  # DQ_SKIP_E2E=1 skips only these two.
  if [ -n "${DQ_SKIP_E2E:-}" ]; then
    log "browser e2e skipped (DQ_SKIP_E2E)"
    skipped=$((skipped + 2))
  else
    reliability scripts/e2e/e2e.mjs
    # The fleet views at 5,000 services: usable, and how soon they show data.
    reliability scripts/e2e/e2e.mjs --fleet 5000
  fi
  # The packed packages installed into fresh create-app apps (new and
  # classic frontend), started and checked; the apps' install is cached
  # between runs. DQ_SKIP_INSTALL_CHECK=1 skips it.
  if [ -n "${DQ_SKIP_INSTALL_CHECK:-}" ]; then
    log "install check skipped (DQ_SKIP_INSTALL_CHECK)"
    skipped=$((skipped + 1))
  else
    reliability scripts/install-check/check.mjs
  fi
fi

echo "tests: $passed passed, $failed failed, $skipped skipped"
exit "$status"
