#!/usr/bin/env bash
# Starts the portal (frontend :3000, backend :7007) on the embedded defaults,
# then sends the demo history through the webhook once the backend is ready.
# Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1;34m[dq]\033[0m %s\n' "$*" >&2; }

mkdir -p .data/sqlite .data/sqs

# The local SQS-compatible server, persisted under .data/sqs so queued
# messages survive a restart. Any signer credentials do for it.
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-local}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-local}"
sqs_info="$(mktemp)"
node --no-warnings scripts/sqs/local-sqs.mjs --port 9324 --data-dir .data/sqs >"$sqs_info" &
sqs=$!

# Its own process group, so stopping it stops yarn, backstage-cli and node.
setsid yarn start --config "$PWD/app-config.yaml" --config "$PWD/app-config.dev-sqs.yaml" "$@" &
portal=$!
stop() {
  trap - INT TERM EXIT
  kill -TERM -- "-$portal" 2>/dev/null || true
  wait "$portal" 2>/dev/null || true
  kill -TERM "$sqs" 2>/dev/null || true
  wait "$sqs" 2>/dev/null || true
  rm -f "$sqs_info"
}
trap stop INT TERM EXIT

for _ in $(seq 1 50); do
  [ -s "$sqs_info" ] && break
  sleep 0.2
done
if ! [ -s "$sqs_info" ]; then
  log "the local SQS server did not start (is port 9324 free?)"
  exit 1
fi
log "local SQS on 127.0.0.1:9324 (queue dq-ingest, DLQ dq-ingest-dlq)"

log "waiting for the backend on :7007"
for _ in $(seq 1 300); do
  if curl -fs http://127.0.0.1:7007/.backstage/health/v1/readiness >/dev/null 2>&1; then
    break
  fi
  if ! kill -0 "$portal" 2>/dev/null; then
    log "the portal exited before it was ready"
    exit 1
  fi
  sleep 1
done

log "loading the demo history through the webhook and straight to SQS"
node scripts/demo/seed.mjs --sqs "$(cat "$sqs_info")" || log "demo data could not be loaded (see above); the portal keeps running"
log "portal ready: http://localhost:3000 (backend http://localhost:7007)"
wait "$portal"
