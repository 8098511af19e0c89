#!/usr/bin/env bash
# Make sure the Debian packages the tests use are installed, with one `apt-get update` for all
# that are missing:
#   chromium  /usr/bin/chromium for the `browser` tests (Playwright for Python drives it through
#             executable_path; Playwright never downloads a browser)
#   xmlsec1   the XML signature and encryption tool pysaml2 calls for SAML sign-in (the server
#             needs it too when a pool has a SAML provider: docs/federation.md)
# Without apt-get, root or passwordless sudo (or when an install fails) it says so: the tests
# that need the missing program skip with that reason. Never fails the build.
set -uo pipefail

declare -A PROGRAM=([chromium]=/usr/bin/chromium [xmlsec1]=/usr/bin/xmlsec1)
missing=()
for package in "${!PROGRAM[@]}"; do
  if [ -x "${PROGRAM[$package]}" ]; then
    echo "ensure-packages: $("${PROGRAM[$package]}" --version 2>/dev/null | head -n 1)"
  else
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "ensure-packages: ${missing[*]} missing and no apt-get: the tests needing them will be skipped"
  exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
  else
    echo "ensure-packages: ${missing[*]} missing and not root (no passwordless sudo): the tests needing them will be skipped"
    exit 0
  fi
fi

echo "ensure-packages: installing Debian's ${missing[*]}"
if $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; then
  for package in "${missing[@]}"; do
    echo "ensure-packages: $("${PROGRAM[$package]}" --version 2>/dev/null | head -n 1)"
  done
else
  echo "ensure-packages: apt-get could not install ${missing[*]}: the tests needing them will be skipped"
fi
exit 0
