#!/usr/bin/env bash
# Desktop start time and memory, Hikae against a minimal Tauri 2 window built here
# (bench/floor), side by side. Release builds, under Xvfb. Results: docs/PERFORMANCE.md.
#   BENCH_RUNS=10 bash scripts/bench-desktop.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/webdriver-tools.sh
(cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run build >/dev/null)
cargo build --release --quiet -p hikae-desktop -p hikae-floor -p hikae --bin hikae-desktop --bin hikae-floor --bin hikae
work=$(mktemp -d); display=":$((80 + RANDOM % 9))"
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null; rm -rf "$work"' EXIT
./target/release/hikae --data-dir "$work/data" demo --bulk 1000 >&2
sleep 1
DISPLAY="$display" python3 scripts/bench_desktop.py "$work/data"
