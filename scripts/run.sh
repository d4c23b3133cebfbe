#!/usr/bin/env bash
# Runs Hikae on its built-in defaults: creates fictional demo records and prints their PDFs' folder.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cargo build --release --quiet --bin hikae
exec ./target/release/hikae demo "$@"
