#!/usr/bin/env bash
# Installs everything the demo and the tests need on a fresh Debian machine: Debian packages
# (QEMU's storage daemon and tools, NBD clients, fio, chromium for the page tests), npm packages, and the local cloud's
# Python virtualenv. Each step is skipped when already done.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DEBIAN_PACKAGES=(qemu-system-common qemu-utils qemu-block-extra libnbd-bin python3-libnbd fio nbd-client hyperfine iproute2 e2fsprogs util-linux curl procps python3-venv nftables chromium)
missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "install: apt-get install ${missing[*]}" >&2
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "install: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

bash local/cloud.sh install

# The API fuzzer (schemathesis, test/e2e/api-fuzz.test.ts) in its own virtualenv, so its
# dependencies never move the local cloud's pins; re-installed only when its requirements change.
CONTRACT_VENV=.venv-contract
contract_stamp="$CONTRACT_VENV/.blockplane-contract-requirements.sha256"
contract_want="$(sha256sum test/contract/requirements.txt | cut -d' ' -f1)"
if [[ ! -x "$CONTRACT_VENV/bin/schemathesis" || "$(cat "$contract_stamp" 2>/dev/null)" != "$contract_want" ]]; then
  echo "install: $CONTRACT_VENV (pip install -r test/contract/requirements.txt)" >&2
  [[ -x "$CONTRACT_VENV/bin/python" ]] || python3 -m venv "$CONTRACT_VENV"
  timeout 600 "$CONTRACT_VENV/bin/pip" install --disable-pip-version-check -q -r test/contract/requirements.txt
  echo "$contract_want" >"$contract_stamp"
fi
