#!/usr/bin/env bash
# What driving the real app over WebDriver needs (e2e tests, desktop benchmark): the desktop
# apt packages, selenium + pytest (pip), tauri-driver (cargo). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh desktop
python3 -m pip install -q --disable-pip-version-check -r tests/e2e/requirements.txt 2>/dev/null \
  || python3 -m pip install -q --break-system-packages -r tests/e2e/requirements.txt
command -v tauri-driver >/dev/null || cargo install tauri-driver --locked --version 2.0.6 --quiet
