#!/usr/bin/env bash
# Retake the hosted pages' screenshots in docs/hosted-ui/ (English and Japanese), shown in the
# README: the browser tests save one PNG per page when MAMORI_SCREENSHOTS=1. Needs Debian's
# chromium (make packages). A normal test run never writes them.
set -euo pipefail
cd "$(dirname "$0")/.."

# The Japanese pages (and the language links in Korean and Chinese) need a CJK font.
if ! fc-list :lang=ja 2>/dev/null | grep -q .; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo -n"
  echo "hosted-ui-screenshots: installing Debian's fonts-noto-cjk for the Japanese pages"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null
fi
MAMORI_SCREENSHOTS=1 .venv/bin/pytest -q -p no:cacheprovider \
  -m browser tests/api/hosted_ui "$@"
ls -l docs/hosted-ui/*.png | awk '{ total += $5 } END { print NR " screenshots, " int(total / 1024) " KiB" }'
