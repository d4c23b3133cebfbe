#!/usr/bin/env bash
# Regenerates the UI's TypeScript of the IPC from the Rust types: ui/src/lib/generated/types.ts
# (what the Tauri commands take and return) and errors.ts (every error code). The desktop tests
# fail while these files are out of date (src-tauri/src/ts_types.rs); this writes them. Only tests
# turn on the `ts` features (a dev-dependency of hikae-desktop), so a shipped build has no ts-rs.
# The desktop crate embeds ui/dist: build the UI once first (cd ui && npm run build).
set -euo pipefail
cd "$(dirname "$0")/.."
HIKAE_BLESS=1 cargo test -p hikae-desktop --bin hikae-desktop -- ts_types::
git diff --stat -- ui/src/lib/generated 2>/dev/null || true
