#!/usr/bin/env bash
# System tools the test suite needs, installed with apt-get when missing (as root directly,
# otherwise through sudo when available):
# - Debian's chromium, which the browser tests drive with Playwright (never a browser Playwright
#   downloads);
# - GNU gettext (xgettext, msgfmt), with which the translation test extracts every message.
set -euo pipefail
missing=()
if ! [ -x /usr/bin/chromium ] && ! [ -x /usr/bin/chromium-browser ]; then
    missing+=(chromium)
fi
if ! command -v xgettext >/dev/null 2>&1 || ! command -v msgfmt >/dev/null 2>&1; then
    missing+=(gettext)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
    run=()
elif command -v sudo >/dev/null 2>&1; then
    run=(sudo)
else
    echo "missing for the tests and cannot be installed without root: ${missing[*]} (Debian packages)" >&2
    exit 1
fi
echo "== installing ${missing[*]} (apt-get)"
export DEBIAN_FRONTEND=noninteractive
"${run[@]}" apt-get update -qq
"${run[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
