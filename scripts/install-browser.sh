#!/usr/bin/env bash
# Install the headless browser the dashboard test drives: Debian's chromium at
# /usr/bin/chromium (Playwright connects to it; no browser download of its own).
# Idempotent: does nothing when chromium is already there. Needs root (or sudo).
# Why Debian's: `playwright install chromium` downloads its own build from a CDN
# that is not a package registry, and no PyPI package ships a maintained
# Chromium build.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    echo "chromium: already installed ($(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium))"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: /usr/bin/chromium is missing and apt-get is not available; install chromium by hand" >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "error: installing chromium needs root (or sudo)" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "chromium: updating Debian's package lists"
$SUDO apt-get update -qq >/dev/null
echo "chromium: installing chromium and fonts-liberation from Debian (about 2 minutes the first time)"
$SUDO apt-get install -y -qq -o=Dpkg::Use-Pty=0 chromium fonts-liberation >/dev/null
/usr/bin/chromium --version 2>/dev/null || true
