#!/usr/bin/env bash
# Runs Hikae on its built-in defaults: the desktop app on an encrypted demo installation with
# fictional staff and records. Without a display it sets up the same encrypted demo and lists
# its records and PDFs. Demo data lives in $HIKAE_DATA_DIR, default ~/hikae-demo.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${HIKAE_DATA_DIR:-$HOME/hikae-demo}"
headless=""
[ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && headless=1
if [ -n "$headless" ]; then
  bash scripts/deps.sh
  cargo build --release --quiet --bin hikae -p hikae
else
  bash scripts/deps.sh desktop
  (cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run build)
  cargo build --release --quiet --bin hikae -p hikae
  cargo build --release --quiet -p hikae-desktop
fi
hikae=./target/release/hikae
if [ ! -e "$data/keyring.json" ] && [ ! -e "$data/hikae.db" ]; then
  # first run: set the demo PC up the way an administrator would (encrypted; fictional
  # people, demo PINs; the demo signing key is made here and stays in the demo folder)
  echo "setting up an encrypted demo installation in $data" >&2
  mkdir -p "$data-admin"
  HIKAE_PIN=246810 HIKAE_EMERGENCY_CODE=135790 $hikae --data-dir "$data" setup --admin-id A0001 >"$data-admin/setup.txt"
  $hikae pack keygen --out "$data-admin/signing" --no-password >/dev/null
  cp data/demo/roster.toml "$data-admin/roster.toml"
  $hikae roster sign "$data-admin/roster.toml" --key "$data-admin/signing.key" 2>/dev/null
  admin=(env HIKAE_STAFF=A0001 HIKAE_PIN=246810 $hikae --data-dir "$data")
  "${admin[@]}" roster trust "$data-admin/signing.pub" >/dev/null
  "${admin[@]}" roster install "$data-admin/roster.toml" >/dev/null
  HIKAE_NEW_PIN=222222 "${admin[@]}" enrol D0001 >/dev/null
  HIKAE_NEW_PIN=333333 "${admin[@]}" enrol N0001 >/dev/null
  HIKAE_NEW_PIN=444444 "${admin[@]}" enrol C0001 >/dev/null
  HIKAE_NEW_PIN=555555 "${admin[@]}" enrol L0001 >/dev/null
  HIKAE_STAFF=D0001 HIKAE_PIN=222222 $hikae --data-dir "$data" demo --out "$data-pdf" >/dev/null
fi
if [ -n "$headless" ]; then
  # no display: the records and their PDFs, made by the doctor's login on the encrypted store
  echo "no display: the demo records are in the encrypted store at $data; their PDFs:" >&2
  ls "$data-pdf" >&2
  HIKAE_STAFF=D0001 HIKAE_PIN=222222 exec $hikae --data-dir "$data" list
fi
cat >&2 <<'TXT'
Demo logins (fictional):  N0001 / 333333 nurse   D0001 / 222222 doctor
                          C0001 / 444444 clerk   A0001 / 246810 administrator
                          L0001 / 555555 charge nurse (downtime, drills)
Emergency (break-glass) code: 135790
TXT
exec ./target/release/hikae-desktop --data-dir "$data"
