#!/usr/bin/env bash
# The reliability soaks, full length, release build (tests/soak.rs); CI runs both short.
#   1. KILLS (default 1,000) SIGKILLs at random moments of a process editing, finalizing,
#      correcting and syncing on an encrypted store (CI: 12);
#   2. RECORDS (default 10,000) records through the fault proxy with FAULT_KILLS (default 8)
#      sync runs SIGKILLed midway, then run to the end (CI: 300 records, 4 kills).
# Prints the figures for docs/PERFORMANCE.md.
#   scripts/soak.sh [KILLS] [RECORDS] [FAULT_KILLS]
set -euo pipefail
cd "$(dirname "$0")/.."
(cd tests/fhir-server && npm ci --no-audit --no-fund --loglevel=error)
HIKAE_SOAK_KILLS="${1:-1000}" HIKAE_FAULT_SOAK_N="${2:-10000}" HIKAE_FAULT_SOAK_KILLS="${3:-8}" \
  /usr/bin/time -v cargo test --release -q -p hikae --test soak -- --nocapture --test-threads=1 2>&1 \
  | grep -E "^soak:|^fault soak:|test result|Elapsed|Maximum resident"
