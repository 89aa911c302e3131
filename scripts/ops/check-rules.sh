#!/usr/bin/env bash
# The Prometheus alerting rules of deploy/prometheus: valid (`promtool check
# rules`) and firing as their unit tests expect (`promtool test rules`).
# Installs Debian's prometheus package (for promtool) when it is missing.
set -euo pipefail
cd "$(dirname "$0")/../../deploy/prometheus"

log() { printf '\033[1;34m[dq]\033[0m %s\n' "$*" >&2; }

if ! command -v promtool >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    log "promtool is missing and apt-get is not usable: install Debian's prometheus package"
    exit 1
  fi
  log "promtool is missing: installing Debian's prometheus package with apt-get"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null; } >&2
fi
promtool check rules deployment-quality.rules.yml
promtool test rules deployment-quality.rules.test.yml
