#!/usr/bin/env bash
# Runs every test: Rust unit and integration tests (real SQLite files, real PDFs checked with
# poppler, Debian's minisign), the UI's unit tests (Vitest), and the end-to-end tests of the
# real desktop app in a real webview (scripts/e2e.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh test desktop
cargo fmt --all -- --check
# the desktop crate embeds ui/dist at compile time, so the UI is built first
(cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run check && npm run build && npx vitest run)
# lints are errors: what clippy finds is fixed, not accumulated
cargo clippy --workspace --exclude hikae-floor --all-targets --locked -- -D warnings
# the FHIR server the sync tests run against (Medplum's engine, pinned)
(cd tests/fhir-server && npm ci --no-audit --no-fund --loglevel=error)
# printing is tested against a real CUPS queue (a cups-pdf printer)
HIKAE_TEST_PRINTER="$(bash scripts/cups-test-printer.sh)" cargo test --workspace --exclude hikae-floor --all-targets --locked
bash scripts/e2e.sh
