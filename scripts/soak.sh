#!/usr/bin/env bash
# The reliability soak, full length: KILLS (default 1,000) SIGKILLs at random moments of a
# process editing, finalizing, correcting and syncing on an encrypted store (tests/soak.rs),
# release build. CI runs the same test with 12. Prints the figures for docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
(cd tests/fhir-server && npm ci --no-audit --no-fund --loglevel=error)
HIKAE_SOAK_KILLS="${1:-1000}" /usr/bin/time -v cargo test --release -q -p hikae --test soak -- --nocapture 2>&1 \
  | grep -E "^soak:|test result|Elapsed|Maximum resident"
