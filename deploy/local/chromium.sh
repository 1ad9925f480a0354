#!/usr/bin/env bash
# Debian's Chromium for the browser tests (tests/browser), and a CJK font so pages in Chinese render in screenshots.
# Installed with apt-get when missing. Playwright drives this binary: no browser is ever downloaded at run time
# (`playwright install` is never run). Idempotent.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
FONT=fonts-wqy-microhei

say() { echo "chromium.sh: $*"; }
die() { echo "chromium.sh: ERROR: $*" >&2; exit 1; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

missing=()
[[ -x $CHROMIUM ]] || missing+=(chromium)
command -v dpkg-query >/dev/null && ! installed "$FONT" && missing+=("$FONT")

if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    say "installing Debian's ${missing[*]} (apt-get)..."
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
  elif [[ ! -x $CHROMIUM ]]; then
    die "the browser tests need Debian's Chromium at $CHROMIUM; install it as root:
  sudo apt-get install chromium $FONT
  (Playwright never downloads a browser here; 'make test-unit' runs everything but the e2e and browser tests)"
  else
    say "WARNING: $FONT is not installed (sudo apt-get install $FONT): Chinese text shows as boxes in screenshots"
  fi
fi
[[ -x $CHROMIUM ]] || die "$CHROMIUM is still missing after installing chromium"
say "$("$CHROMIUM" --version 2>/dev/null | head -n 1) at $CHROMIUM"
