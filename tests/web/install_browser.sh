#!/usr/bin/env bash
# The browser test's set-up: Debian's headless Chromium, installed when missing and this user may install it.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's chromium for the browser test of akadmin serve…" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends chromium >/dev/null
else
    echo "chromium is not installed (apt-get install chromium, as root): the browser test of akadmin serve" \
         "is skipped outside CI" >&2
fi
