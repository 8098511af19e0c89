#!/usr/bin/env bash
# Make sure Debian's Chromium is at /usr/bin/chromium for the browser tests (Playwright for Python
# drives it through executable_path; no browser is ever downloaded by Playwright). Installs it
# with apt-get when missing; without apt-get (or when the install fails) it says so and the tests
# marked `browser` skip with that reason. Never fails the build.
set -uo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
  echo "ensure-browser: $($CHROMIUM --version 2>/dev/null | head -n 1)"
  exit 0
fi

if ! command -v apt-get >/dev/null; then
  echo "ensure-browser: no $CHROMIUM and no apt-get: browser tests will be skipped"
  exit 0
fi

sudo=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
  else
    echo "ensure-browser: no $CHROMIUM and not root (no passwordless sudo): browser tests will be skipped"
    exit 0
  fi
fi

echo "ensure-browser: installing Debian's chromium"
if $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; then
  echo "ensure-browser: $($CHROMIUM --version 2>/dev/null | head -n 1)"
else
  echo "ensure-browser: apt-get could not install chromium: browser tests will be skipped"
fi
exit 0
