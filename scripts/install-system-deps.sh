#!/usr/bin/env bash
# Installs the Debian packages the test suite needs (real sshd hosts, Chromium for the
# UI tests, a Secret Service keychain, D-Bus, Prometheus and node_exporter). Idempotent
# and quick when all are present; as non-root it only lists what is missing.
#
# Daemons are installed as programs only: the tests start their own copies on loopback
# ports. Debian's maintainer scripts would start (and enable) prometheus,
# prometheus-node-exporter and prometheus-alertmanager as services, listening on every
# interface; a policy-rc.d that refuses every start keeps them from starting during the
# install, and the services are disabled (and stopped, should they run anyway) after it.
set -euo pipefail

PACKAGES=(
  openssh-server openssh-client   # real sshd test hosts and the ssh client
  chromium                        # Playwright UI tests (playwright-core drives /usr/bin/chromium)
  gnome-keyring libsecret-tools   # a real Secret Service for keychain tests
  dbus dbus-x11                   # session bus for the keychain (dbus-run-session)
  iproute2 procps util-linux      # ss/ip, ps, unshare: tools the fleet tools and fixtures use
  strace                          # test/policy-oracle.test.ts traces every program an allowed command starts
  zsh tcsh fish mksh              # login shells: the remote exec string must parse alike in each
  prometheus prometheus-node-exporter  # test/metrics-prometheus.test.ts: the Prometheus and node_exporter sources
  prometheus-alertmanager         # Alertmanager's webhook to POST /api/alerts
)
# Services the packages above install that must not be left running or enabled.
SERVICES=(prometheus prometheus-node-exporter prometheus-alertmanager)

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

# invoke-rc.d asks /usr/sbin/policy-rc.d before starting a service; 101 = "action forbidden".
# One the machine already has is left alone (and respected); ours is removed on exit.
POLICY_RC=/usr/sbin/policy-rc.d
if [[ ! -e "$POLICY_RC" ]]; then
  printf '#!/bin/sh\n# fleetmind install-system-deps.sh: no service starts during this install\nexit 101\n' >"$POLICY_RC"
  chmod 0755 "$POLICY_RC"
  trap 'rm -f "$POLICY_RC"' EXIT
fi

apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

# Whatever the maintainer scripts did: not enabled at boot, not running now (only the
# services of packages this run installed: an operator's own Prometheus is not touched).
for svc in "${SERVICES[@]}"; do
  [[ " ${missing[*]} " == *" $svc "* ]] || continue
  if [[ -e "/lib/systemd/system/$svc.service" || -e "/etc/init.d/$svc" ]]; then
    if [[ -d /run/systemd/system ]]; then
      systemctl disable --now "$svc" >/dev/null 2>&1 || true
    else
      systemctl disable "$svc" >/dev/null 2>&1 || true
      [[ -x "/etc/init.d/$svc" ]] && { "/etc/init.d/$svc" stop >/dev/null 2>&1 || true; }
      update-rc.d "$svc" disable >/dev/null 2>&1 || true
    fi
  fi
done
echo "fleetmind: test dependencies installed" >&2
