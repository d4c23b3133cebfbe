#!/usr/bin/env bash
# Runs every test: unit, integration (real SQLite files, real PDFs checked with poppler), CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh test
cargo fmt --all -- --check
cargo test --workspace --all-targets --locked
