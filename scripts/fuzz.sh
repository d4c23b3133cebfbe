#!/usr/bin/env bash
# The property tests over every parser of outside input (pack archives and files, form values,
# the HTML subset and PDF layout, config.toml, rosters, FHIR replies), run long: new random
# cases round after round until DURATION seconds (default 1800) have passed. CI runs the same
# tests with their default case counts (cargo test). A failure stops the run with the minimal
# failing input (proptest saves it under proptest-regressions/).
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-1800}"
cases="${PROPTEST_CASES:-20000}"
end=$(( $(date +%s) + duration ))
cargo test --release --no-run -q -p hikae-doc -p hikae-domain -p hikae-packs -p hikae-sync -p hikae-auth 2>/dev/null
round=0
while [ "$(date +%s)" -lt "$end" ]; do
  round=$((round + 1))
  PROPTEST_CASES="$cases" cargo test --release -q -p hikae-doc -p hikae-domain -p hikae-packs -p hikae-auth --test props >/dev/null
  PROPTEST_CASES="$cases" cargo test --release -q -p hikae-sync --lib props >/dev/null
  echo "round $round: $cases cases per property, no failure ($(( end - $(date +%s) )) s left)" >&2
done
echo "fuzz: $round rounds in ${duration} s, 0 failures"
