#!/usr/bin/env bash
# Sets up a local CUPS queue for the printing tests: a cups-pdf printer that writes each job
# as a PDF under ~/PDF. Starts the CUPS scheduler if it is not running. Prints the queue name.
# Debian 12, root or sudo; touches nothing but CUPS's own configuration.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh print >&2
sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
name="Hikae-Test-PDF"
if ! LC_ALL=C lpstat -r 2>/dev/null | grep -q "scheduler is running"; then
  $sudo cupsd
  for _ in $(seq 50); do LC_ALL=C lpstat -r 2>/dev/null | grep -q "scheduler is running" && break; sleep 0.1; done
fi
if ! lpstat -e 2>/dev/null | grep -qx "$name"; then
  $sudo lpadmin -p "$name" -E -v cups-pdf:/ -P /usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd 2>&1 | grep -v deprecated >&2 || true
fi
echo "$name"
