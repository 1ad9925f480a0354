#!/usr/bin/env bash
# The workbench's third-party browser assets (htmx.org, chart.js) from the npm registry, at the exact versions of
# services/workbench/package.json, into services/workbench/.assets/node_modules (ignored; the workbench serves it at
# /static/vendor). No lockfile is written or read. Idempotent: redone only when package.json changes.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PACKAGE=$ROOT/services/workbench/package.json
DEST=$ROOT/services/workbench/.assets
STAMP=$DEST/.complete

say() { echo "assets.sh: $*"; }
die() { echo "assets.sh: ERROR: $*" >&2; exit 1; }

stamp=$(sha256sum "$PACKAGE" | cut -d' ' -f1)
if [[ -f $STAMP && $(cat "$STAMP") == "$stamp" && -d $DEST/node_modules ]]; then
  exit 0
fi

if ! command -v npm >/dev/null; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    say "installing Node.js and npm (apt-get)..."
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm >/dev/null
  else
    die "npm is required for the workbench's assets; on Debian: sudo apt-get install nodejs npm"
  fi
fi

say "installing the workbench's browser assets with npm (package.json changed or first time)..."
start=$SECONDS
rm -rf "$DEST.tmp"
mkdir -p "$DEST.tmp"
cp "$PACKAGE" "$DEST.tmp/package.json"
if ! (cd "$DEST.tmp" && npm install --no-package-lock --ignore-scripts --omit=dev --no-audit --no-fund \
  --loglevel=error >npm.log 2>&1); then
  tail -n 30 "$DEST.tmp/npm.log" >&2
  die "npm install failed (full output: $DEST.tmp/npm.log)"
fi
# Each dependency at exactly the version package.json names.
node -e '
  const fs = require("fs"), path = require("path");
  const wanted = JSON.parse(fs.readFileSync(process.argv[1])).dependencies;
  for (const [name, version] of Object.entries(wanted)) {
    const got = JSON.parse(fs.readFileSync(path.join(process.argv[2], name, "package.json"))).version;
    if (got !== version) { console.error(`${name}: wanted ${version}, installed ${got}`); process.exit(1); }
  }' "$PACKAGE" "$DEST.tmp/node_modules" || die "npm installed other versions than package.json names"
rm -f "$DEST.tmp/npm.log"
rm -rf "$DEST"
mv "$DEST.tmp" "$DEST"
echo "$stamp" >"$STAMP"
say "ready in $((SECONDS - start)) s: $(cd "$DEST/node_modules" && ls -d */ | tr -d / | tr '\n' ' ')"
