#!/usr/bin/env bash
# Installs what Hikae needs on Debian 12 (idempotent; root or sudo).
#   deps.sh                build the core and CLI
#   deps.sh test           + poppler-utils, minisign (PDF and signature tests)
#   deps.sh desktop        + Tauri/WebKitGTK build packages, Xvfb, WebKitWebDriver
#   deps.sh print          + CUPS with a PDF printer (printing tests)
#   deps.sh test desktop   both
set -euo pipefail
need=(build-essential pkg-config libssl-dev libtss2-dev)
for group in "$@"; do
  case "$group" in
    test) need+=(poppler-utils minisign openssl python3 swtpm swtpm-tools tpm2-tools fonts-noto-cjk fonts-ipamj-mincho fonts-dejavu-core) ;;
    print) need+=(cups-daemon cups-client printer-driver-cups-pdf) ;;
    desktop) need+=(libwebkit2gtk-4.1-dev libxdo-dev librsvg2-dev file xvfb xauth webkit2gtk-driver python3-pip imagemagick strace fonts-morisawa-bizud-gothic fonts-noto-cjk fonts-ipamj-mincho fonts-dejavu-core) ;;
  esac
done
missing=()
for p in "${need[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing: ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 "${missing[@]}" >/dev/null
fi
if ! command -v cargo >/dev/null; then
  echo "cargo (Rust 1.90 or newer) is required: https://rustup.rs" >&2
  exit 1
fi
