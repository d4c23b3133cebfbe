#!/usr/bin/env bash
# Runs Hikae on its built-in defaults: the desktop app with fictional demo records.
# Without a display it runs the headless demo instead (records + PDFs in a folder it prints).
set -euo pipefail
cd "$(dirname "$0")/.."
data="${HIKAE_DATA_DIR:-}"
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  bash scripts/deps.sh
  cargo build --release --quiet --bin hikae
  echo "no display: running the headless demo" >&2
  exec ./target/release/hikae demo "$@"
fi
bash scripts/deps.sh desktop
(cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run build)
cargo build --release --quiet --bin hikae -p hikae
cargo build --release --quiet -p hikae-desktop
args=(); [ -n "$data" ] && args=(--data-dir "$data")
# first run: fictional demo records, so the lists are not empty
if ! ./target/release/hikae "${args[@]}" list --limit 1 | grep -qv "(no records)"; then
  ./target/release/hikae "${args[@]}" demo >/dev/null
fi
exec ./target/release/hikae-desktop
