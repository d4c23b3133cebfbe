#!/usr/bin/env bash
# Installs what Hikae needs on Debian 12 (idempotent; root or sudo). Sourced by run.sh / test.sh.
set -euo pipefail
need=(build-essential pkg-config libssl-dev)
if [ "${1:-}" = "test" ]; then need+=(poppler-utils minisign); fi
missing=()
for p in "${need[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing: ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 "${missing[@]}" >/dev/null
fi
if ! command -v cargo >/dev/null; then
  echo "cargo (Rust 1.88 or newer) is required: https://rustup.rs" >&2
  exit 1
fi
