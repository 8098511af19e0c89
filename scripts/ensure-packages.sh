#!/usr/bin/env bash
# Make sure the Debian packages the tests use are installed, with one `apt-get update` for all
# that are missing:
#   chromium  /usr/bin/chromium for the `browser` tests (Playwright for Python drives it through
#             executable_path; Playwright never downloads a browser)
#   xmlsec1   the XML signature and encryption tool pysaml2 calls for SAML sign-in (the server
#             needs it too when a pool has a SAML provider: docs/federation.md)
#   apache2, libapache2-mod-auth-openidc, haproxy, caddy
#             the real gateways and proxies the integration tests put in front of mamori
#             (docs/integrations.md); each test starts its own on a free port, never the
#             system's service (installing them starts no service: see policy-rc.d below)
# Without apt-get, root or passwordless sudo (or when an install fails) it says so: the tests
# that need the missing program skip with that reason. Never fails the build.
set -uo pipefail

# Each package: the file that shows it is installed, and the command that names its version.
declare -A FILE=(
  [chromium]=/usr/bin/chromium
  [xmlsec1]=/usr/bin/xmlsec1
  [apache2]=/usr/sbin/apache2
  [libapache2-mod-auth-openidc]=/usr/lib/apache2/modules/mod_auth_openidc.so
  [haproxy]=/usr/sbin/haproxy
  [caddy]=/usr/bin/caddy
)
declare -A VERSION=(
  [chromium]="/usr/bin/chromium --version"
  [xmlsec1]="/usr/bin/xmlsec1 --version"
  [apache2]="/usr/sbin/apache2 -v"
  [libapache2-mod-auth-openidc]="dpkg-query -W -f='mod_auth_openidc \${Version}' libapache2-mod-auth-openidc"
  [haproxy]="/usr/sbin/haproxy -v"
  [caddy]="/usr/bin/caddy version"
)
say_version() {
  echo "ensure-packages: $(eval "${VERSION[$1]}" 2>/dev/null | head -n 1)"
}
missing=()
for package in "${!FILE[@]}"; do
  if [ -e "${FILE[$package]}" ]; then
    say_version "$package"
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
# Debian starts a package's service on install (apache2, haproxy, caddy would take port 80):
# policy-rc.d answering 101 ("action not allowed") keeps them stopped. An existing one stays.
policy=/usr/sbin/policy-rc.d
made_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod +x "$policy" && made_policy=1
fi
if $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; then
  for package in "${missing[@]}"; do
    say_version "$package"
  done
else
  echo "ensure-packages: apt-get could not install ${missing[*]}: the tests needing them will be skipped"
fi
[ -n "$made_policy" ] && $sudo rm -f "$policy"
exit 0
