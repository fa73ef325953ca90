#!/usr/bin/env bash
# The browser tests drive Debian's chromium with Playwright (never a browser Playwright downloads).
# Install it when missing: as root directly, otherwise through sudo when available.
set -euo pipefail
for exe in /usr/bin/chromium /usr/bin/chromium-browser; do
    [ -x "$exe" ] && exit 0
done
if [ "$(id -u)" -eq 0 ]; then
    run=()
elif command -v sudo >/dev/null 2>&1; then
    run=(sudo)
else
    echo "chromium is missing and cannot be installed without root: install Debian's 'chromium' package" >&2
    exit 1
fi
echo "== installing chromium (apt-get)"
export DEBIAN_FRONTEND=noninteractive
"${run[@]}" apt-get update -qq
"${run[@]}" apt-get install -y -qq chromium >/dev/null
