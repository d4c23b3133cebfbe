#!/usr/bin/env bash
# Side-by-side: `hikae render --pdf` vs Chromium's --print-to-pdf of the same record's HTML
# (`hikae render --html`), as whole processes, plus output size and peak memory.
# Needs: chromium hyperfine time poppler-utils fonts-morisawa-bizud-gothic (installed here).
set -euo pipefail
cd "$(dirname "$0")/.."
# fictional demo records in a throwaway folder: demo mode (unencrypted, watermarked)
export HIKAE_DEMO=1
apt_need=(chromium hyperfine time poppler-utils fonts-morisawa-bizud-gothic)
missing=(); for p in "${apt_need[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; fi
cargo build --release --quiet --bin hikae
bin=$PWD/target/release/hikae
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
"$bin" --data-dir "$work/data" demo --out "$work/demo" >/dev/null
id=$("$bin" --data-dir "$work/data" list --template discharge-summary | awk '{print $1}' | head -1)
ward=$("$bin" --data-dir "$work/data" list --template ward-handover | awk '{print $1}' | head -1)
"$bin" --data-dir "$work/data" render "$id" --html "$work/ds.html"
"$bin" --data-dir "$work/data" render "$ward" --html "$work/ward.html"
chrome=(chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
        --disable-component-update --disable-sync --no-pdf-header-footer --user-data-dir="$work/chrome")
"${chrome[@]}" --print-to-pdf="$work/chromium.pdf" "file://$work/ds.html" 2>/dev/null
"$bin" --data-dir "$work/data" render "$id" --pdf "$work/hikae.pdf" 2>/dev/null

echo "== discharge summary: whole process, warm cache (hyperfine)"
hyperfine -N --warmup 2 --runs "${RUNS:-15}" --export-json "$work/h.json" \
  "$bin --data-dir $work/data render $id --pdf $work/h1.pdf" \
  "${chrome[*]} --print-to-pdf=$work/c1.pdf file://$work/ds.html" 2>&1 | grep -vE '^\s*$'
python3 - "$work/h.json" <<'PY'
import json,sys
r=json.load(open(sys.argv[1]))["results"]
print(f"ratio (Chromium / Hikae, mean): {r[1]['mean']/r[0]['mean']:.1f}x")
PY

echo "== output"
for f in hikae chromium; do
  printf '%-9s %8d bytes  %s pages\n' "$f" "$(stat -c %s "$work/$f.pdf")" "$(pdfinfo "$work/$f.pdf" | awk '/^Pages/{print $2}')"
done
echo "== peak memory (max RSS of the process tree's largest process, /usr/bin/time)"
/usr/bin/time -f "hikae     %M KiB" "$bin" --data-dir "$work/data" render "$id" --pdf "$work/h2.pdf" 2>&1 | grep KiB
/usr/bin/time -f "chromium  %M KiB (main process only)" "${chrome[@]}" --print-to-pdf="$work/c2.pdf" "file://$work/ds.html" 2>&1 | grep KiB
echo "== ward handover sheet of the demo (12 patients)"
hyperfine -N --warmup 1 --runs "${RUNS:-15}" \
  "$bin --data-dir $work/data render $ward --pdf $work/w1.pdf" \
  "${chrome[*]} --print-to-pdf=$work/w2.pdf file://$work/ward.html" 2>&1 | grep -E 'Benchmark|Time|faster|±' || true
