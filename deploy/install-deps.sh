#!/usr/bin/env bash
# Install the Debian packages privroute's lab and tests need, then the npm
# dependencies, then build. Idempotent. Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then echo "install-deps: run as root (apt-get, namespaces)" >&2; exit 2; fi
mapfile -t pkgs < <(grep -vE '^\s*(#|$)' deploy/debian-packages.txt)
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${pkgs[@]}"
# The Debian openvswitch-switch package may start a system OVS where systemd runs;
# privroute's lab never uses it (it runs a private OVS inside a namespace).
# Unprivileged LXC containers (the pct stand-in) map their root to 100000, as Proxmox does:
# root needs that range in /etc/subuid and /etc/subgid (Proxmox ships root:100000:65536).
grep -q '^root:100000:65536$' /etc/subuid || usermod --add-subuids 100000-165535 root
grep -q '^root:100000:65536$' /etc/subgid || usermod --add-subgids 100000-165535 root
npm ci --no-audit --no-fund
npx tsc -p tsconfig.json
