#!/usr/bin/env bash
# The browser tests drive Debian's Chromium at /usr/bin/chromium (never a browser downloaded by
# Playwright, which fails offline). Install it with apt-get when it is missing.
# Without it the browser tests are skipped locally, but fail under CI (CI=true), so here a
# failed install is only a warning locally and an error under CI.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    echo "browser-deps: $CHROMIUM is installed"
    exit 0
fi

give_up() {
    {
        echo "browser-deps: $*"
        echo "browser-deps: install it by hand:  sudo apt-get update && sudo apt-get install -y chromium"
    } >&2
    if [ "${CI:-}" = true ] || [ "${CI:-}" = 1 ]; then
        echo "browser-deps: ERROR: CI must run the browser tests, so this is fatal under CI." >&2
        exit 1
    fi
    echo "browser-deps: WARNING: the browser tests (pytest -m browser) will be skipped." >&2
    exit 0
}

if ! command -v apt-get >/dev/null 2>&1; then
    give_up "$CHROMIUM is missing and apt-get is not available on this machine."
fi

if [ "$(id -u)" = 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
else
    give_up "$CHROMIUM is missing and installing it needs root (or passwordless sudo)."
fi

echo "browser-deps: $CHROMIUM is missing; installing Debian's chromium package"
export DEBIAN_FRONTEND=noninteractive
if ! "${SUDO[@]}" apt-get update; then
    give_up "'apt-get update' failed (no network or no Debian mirror?)."
fi
if ! "${SUDO[@]}" apt-get install -y chromium </dev/null; then
    give_up "'apt-get install chromium' failed."
fi
[ -x "$CHROMIUM" ] || give_up "the chromium package installed, but $CHROMIUM is still missing."
echo "browser-deps: installed $("$CHROMIUM" --version 2>/dev/null || echo chromium)"
