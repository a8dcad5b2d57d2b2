#!/usr/bin/env bash
# Installs the Debian packages the test suite needs (real sshd hosts, Chromium for the
# UI tests, a Secret Service keychain, D-Bus). Idempotent and quick when all are present;
# as non-root it only lists what is missing.
set -euo pipefail

PACKAGES=(
  openssh-server openssh-client   # real sshd test hosts and the ssh client
  chromium                        # Playwright UI tests (playwright-core drives /usr/bin/chromium)
  gnome-keyring libsecret-tools   # a real Secret Service for keychain tests
  dbus dbus-x11                   # session bus for the keychain (dbus-run-session)
  iproute2 procps util-linux      # ss/ip, ps, unshare: tools the fleet tools and fixtures use
  strace                          # test/policy-oracle.test.ts traces every program an allowed command starts
  zsh tcsh fish mksh              # login shells: the remote exec string must parse alike in each
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "fleetmind: the test suite needs these Debian packages: ${missing[*]}" >&2
  echo "fleetmind: install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 0
fi

echo "fleetmind: installing test dependencies: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "fleetmind: test dependencies installed" >&2
