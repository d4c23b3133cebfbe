#!/usr/bin/env bash
# End-to-end tests: builds the .deb (UI + desktop app + CLI), then drives the real binary in a real
# WebKitGTK webview under Xvfb over WebDriver (tauri-driver + WebKitWebDriver).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/webdriver-tools.sh
# the tests run the app exactly as shipped: built into the .deb, unpacked here
bash scripts/build-deb.sh
deb=$(ls -t target/release/bundle/deb/Hikae_*_amd64.deb | head -1)
rm -rf target/deb-root && dpkg-deb -x "$deb" target/deb-root
export HIKAE_DEB="$PWD/$deb" HIKAE_DEB_ROOT="$PWD/target/deb-root"
export HIKAE_APP="$HIKAE_DEB_ROOT/usr/bin/hikae-desktop" HIKAE_CLI="$HIKAE_DEB_ROOT/usr/bin/hikae"
# printing goes to a real CUPS queue (a cups-pdf printer writing ~/PDF)
export HIKAE_TEST_PRINTER="${HIKAE_TEST_PRINTER:-$(bash scripts/cups-test-printer.sh)}"
display=":$((90 + RANDOM % 9))"
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null || true' EXIT
sleep 1
echo "screenshots go to target/e2e-screenshots/"
DISPLAY="$display" python3 -m pytest -q -p no:warnings tests/e2e "$@"
