#!/usr/bin/env bash
# Makes a local PostgreSQL available for the store and router tests and prints
# its connection string. Installs Debian's package when missing (needs root).
# Prints nothing (and exits 0) when PostgreSQL can't be had, so the caller
# decides whether that is fatal.
set -uo pipefail

log() { printf '\033[1;34m[dq]\033[0m %s\n' "$*" >&2; }

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    log "PostgreSQL not installed and apt-get not usable: skipping it"
    exit 0
  fi
  log "installing PostgreSQL from apt"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; } >&2 || { log "apt-get install postgresql failed"; exit 0; }
fi

version="$(ls /etc/postgresql 2>/dev/null | sort -n | tail -1)"
if [ -z "$version" ]; then
  log "no PostgreSQL cluster found"
  exit 0
fi
# Parallel jest workers each open pools on their own test databases: the
# default 100 connections ran out in CI ("sorry, too many clients already").
conf="/etc/postgresql/$version/main/conf.d/deployment-quality.conf"
settings="max_connections = 400"
changed=""
if [ "$(cat "$conf" 2>/dev/null)" != "$settings" ]; then
  mkdir -p "$(dirname "$conf")" && echo "$settings" >"$conf" && changed=1
fi
if ! pg_lsclusters -h 2>/dev/null | awk -v v="$version" '$1==v && $2=="main" && $4=="online"' | grep -q .; then
  log "starting PostgreSQL $version"
  pg_ctlcluster "$version" main start >&2 || { log "could not start PostgreSQL"; exit 0; }
elif [ -n "$changed" ]; then
  log "restarting PostgreSQL $version for $settings"
  pg_ctlcluster "$version" main restart >&2 || { log "could not restart PostgreSQL"; exit 0; }
fi
port="$(pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $3}')"
# A known password so Backstage's TestDatabases can connect over TCP.
su postgres -c "psql -q -p $port -c \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null 2>&1 || { log "could not set the postgres password"; exit 0; }
echo "$version postgresql://postgres:postgres@127.0.0.1:$port"
