#!/usr/bin/env bash
# Browser tests drive Debian's chromium; install it when missing and we may (root, apt).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's chromium for the browser tests…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q chromium fonts-dejavu-core >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q chromium fonts-dejavu-core >/dev/null; }
  exit 0
fi
echo "Browser tests need /usr/bin/chromium: install Debian's 'chromium' package (sudo apt-get install chromium)." >&2
exit 1
