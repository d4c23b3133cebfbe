#!/usr/bin/env bash
# Builds the Debian package of the desktop app: target/release/bundle/deb/Hikae_<version>_amd64.deb
# Uses the Tauri CLI from npm (pinned), installed under target/tools (no global install).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh desktop
cli=target/tools/tauri-cli/node_modules/.bin/tauri
if [ ! -x "$cli" ]; then
  # not in ui/package-lock.json: the registry mirror here lacks the CLI's other-platform
  # binaries, which would make that lock unusable for `npm ci`
  npm install --prefix target/tools/tauri-cli --no-audit --no-fund --loglevel=error @tauri-apps/cli@2.12.5
fi
(cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run build >/dev/null)
# the admin CLI ships in the same package (/usr/bin/hikae)
cargo build --release --locked --quiet -p hikae --bin hikae
(cd src-tauri && "../$cli" build --bundles deb --ci)
ls -1 target/release/bundle/deb/*.deb
