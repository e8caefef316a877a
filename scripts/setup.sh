#!/usr/bin/env bash
# Installs what callwright needs on a fresh Debian/Ubuntu machine, then the npm packages.
#   bash scripts/setup.sh          the runtime: flite, pocketsphinx (+ en-us model), festival voice, libvpx (video)
#   bash scripts/setup.sh --test   also what the test suite needs: Chromium, sox, a running Redis
# Debian packages are installed with apt-get as root (or through sudo when not root).
set -euo pipefail
cd "$(dirname "$0")/.."

runtime=(flite pocketsphinx pocketsphinx-en-us festival festvox-us-slt-hts libvpx7)
testing=(chromium sox redis-server)
want=("${runtime[@]}")
[[ "${1:-}" == "--test" ]] && want+=("${testing[@]}")

missing=()
for p in "${want[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ "${1:-}" == "--test" ]] && ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "setup: starting redis-server on 127.0.0.1:6379 for the tests"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no >/dev/null
fi

echo "setup: npm ci"
npm ci --no-audit --no-fund --loglevel=error
