#!/usr/bin/env bash
# Installs the Debian packages some tests compare the kit against (real xgboost, SciPy, Chromium).
# Run as root (CI does, through .ci/run); elsewhere those tests say what is missing and skip,
# unless CI=true, where a missing package fails them.
set -euo pipefail
packages=(python3-xgboost python3-numpy python3-scipy chromium)
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "test dependencies present: ${packages[*]}"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages (tests that need them will skip): ${missing[*]}; install with: sudo apt-get install ${missing[*]}" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "installed: ${missing[*]}"
