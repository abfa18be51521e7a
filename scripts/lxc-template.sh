#!/bin/bash
# Build (once) the Debian 12 container template the pct stand-in creates containers from,
# and print its path. Idempotent: an existing tarball is reused; a crashed build is redone.
#
# The template is as close to Proxmox's debian-12-standard as the chain needs: debootstrap
# --variant=minbase plus systemd as init and the base tools debian-12-standard carries
# (iproute2, iputils-ping, procps, ca-certificates, netbase, ifupdown, less). It carries NO
# wireguard/iptables/v2ray: privroute init has to install those from the node, as on a real
# node with a fresh template.
#
# Cache dir: $PRIVROUTE_LXC_CACHE (default /var/cache/privroute-lxc), outside the repository.
# Mirror: the first Debian URI of apt's sources (what this machine is allowed to reach),
# $PRIVROUTE_DEBIAN_MIRROR overrides it.
#
# Usage: scripts/lxc-template.sh   (root; needs debootstrap and zstd)
set -euo pipefail

CACHE=${PRIVROUTE_LXC_CACHE:-/var/cache/privroute-lxc}
NAME=debian-12-privroute-minbase_12.0-1_amd64.tar.zst
OUT=$CACHE/$NAME
INCLUDE=systemd-sysv,iproute2,iputils-ping,procps,ca-certificates,netbase,ifupdown,less

if [ -s "$OUT" ]; then echo "$OUT"; exit 0; fi
[ "$(id -u)" = 0 ] || { echo "lxc-template: run as root (debootstrap needs it)" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "lxc-template: apt-get install debootstrap zstd" >&2; exit 2; }

mirror=${PRIVROUTE_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  # deb822 (URIs:) or one-line (deb URL suite ...) sources; the first plain Debian archive wins.
  mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | sed -nE 's/^URIs:[[:space:]]*([^[:space:]]+).*/\1/p; s/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+)[[:space:]]+bookworm([[:space:]].*)?$/\2/p' \
    | grep -v -- '-security' | grep -m1 '/debian/\?$' || true)
fi
mirror=${mirror:-http://deb.debian.org/debian}

mkdir -p "$CACHE/debs"
work=$(mktemp -d "$CACHE/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "lxc-template: debootstrap bookworm from $mirror (once; cached in $CACHE)" >&2
debootstrap --variant=minbase --include="$INCLUDE" --cache-dir="$CACHE/debs" bookworm "$work/rootfs" "$mirror" >"$work/log" 2>&1 \
  || { tail -20 "$work/log" >&2; exit 1; }
# What pct/Proxmox templates leave empty: no apt lists, no machine id, no hostname of their own.
# Proxmox templates ship an empty /dev (the container's own devtmpfs/autodev fills it; an
# unprivileged extraction cannot mknod) and no downloaded packages.
rm -rf "$work"/rootfs/var/lib/apt/lists/* "$work"/rootfs/var/cache/apt/*.bin "$work"/rootfs/var/cache/apt/archives/*.deb "$work"/rootfs/dev/*
: >"$work/rootfs/etc/machine-id"
echo localhost >"$work/rootfs/etc/hostname"
tar --numeric-owner -C "$work/rootfs" -cf - . | zstd -q -T0 -o "$work/$NAME"
mv "$work/$NAME" "$OUT"
echo "$OUT"
