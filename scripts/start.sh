#!/usr/bin/env bash
# Starts the portal (frontend :3000, backend :7007) on the embedded defaults,
# then sends the demo history through the webhook once the backend is ready.
# Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1;34m[dq]\033[0m %s\n' "$*" >&2; }

mkdir -p .data/sqlite

# Its own process group, so stopping it stops yarn, backstage-cli and node.
setsid yarn start "$@" &
portal=$!
stop() {
  trap - INT TERM EXIT
  kill -TERM -- "-$portal" 2>/dev/null || true
  wait "$portal" 2>/dev/null || true
}
trap stop INT TERM EXIT

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

log "loading the demo history through the webhook"
node scripts/demo/seed.mjs || log "demo data could not be loaded (see above); the portal keeps running"
log "portal ready: http://localhost:3000 (backend http://localhost:7007)"
wait "$portal"
