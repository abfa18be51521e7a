#!/usr/bin/env bash
# Remove privroute from a node: first what `privroute init` created on it, through
# `privroute teardown` (planned from the config against what is there; see
# src/appliance/teardown.ts): the hookscript (snippet + each container's `hookscript:` line),
# the chain bridge with its ports and flows, privroute's firewall rules and PRIVROUTE-* chains
# (iptables and ip6tables, found by their ownership comments), its policy rules and routes,
# the WARP tunnel, the mesh membership, the ifupdown2 stanza; privroute's containers only with
# --containers (they hold the gateway's keys). Then what deploy/install.sh installed (the paths
# listed in /opt/privroute/.installed: program, command, daemon unit, the example config if
# install.sh wrote it).
# Not removed: the state dir /var/lib/privroute (client keys, WARP account) unless --purge,
# an edited config unless --purge, the VPS's XRay server. The forwarding sysctls go back to
# their values before the first init (teardown; recorded by init).
# The teardown runs only when the config is not the untouched example (init never ran then).
#
# Usage: deploy/uninstall.sh [--root DIR] [--config FILE] [--state-dir DIR] [--containers] [--purge]
#   --config/--state-dir  the config and state dir privroute ran with (default: /etc/privroute/
#                         config.json and /var/lib/privroute when --root is /; under a test root
#                         there is no node teardown unless --config is given)
# Exit codes: 0 removed, 1 a step failed, 2 bad usage or a config teardown refuses (nothing touched).
set -euo pipefail
ROOT=/ CONTAINERS=0 PURGE=0 CONFIG= STATE=
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT="${2:?--root needs a directory}"; shift 2 ;;
    --config) CONFIG="${2:?--config needs a file}"; shift 2 ;;
    --state-dir) STATE="${2:?--state-dir needs a directory}"; shift 2 ;;
    --containers) CONTAINERS=1; shift ;;
    --purge) PURGE=1; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "uninstall.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
R="${ROOT%/}"
OPT=/opt/privroute
LIST="$R$OPT/.installed"
if [ ! -f "$LIST" ]; then echo "uninstall.sh: $LIST not found: privroute was not installed by install.sh under $ROOT" >&2; exit 1; fi
if [ "$ROOT" = / ]; then CONFIG="${CONFIG:-/etc/privroute/config.json}"; STATE="${STATE:-/var/lib/privroute}"; fi

# --- what init created on the node: `privroute teardown` (a dry run first validates the
#     config and reads the node: on exit 2 nothing at all has been touched) ---
teardown=()
if [ -n "$CONFIG" ] && [ -f "$CONFIG" ] && ! cmp -s "$CONFIG" "$R$OPT/deploy/config.example.json"; then
  teardown=("$(command -v node)" "$R$OPT/dist/src/cli/main.js" --config "$CONFIG")
  [ -n "$STATE" ] && teardown+=(--state-dir "$STATE")
  teardown+=(teardown)
  [ "$CONTAINERS" = 1 ] && teardown+=(--containers)
  rc=0; "${teardown[@]}" --dry-run || rc=$?
  if [ "$rc" != 0 ]; then echo "uninstall.sh: privroute teardown --dry-run failed (exit $rc): nothing was removed" >&2; exit "$rc"; fi
elif [ "$CONTAINERS" = 1 ]; then
  echo "uninstall.sh: --containers needs the config privroute ran with (--config)" >&2; exit 2
fi

# --- the daemon unit ---
if command -v systemctl >/dev/null; then
  if [ "$ROOT" = / ]; then systemctl disable --now privroute-daemon.service || true
  else systemctl --root="$R" disable privroute-daemon.service >/dev/null 2>&1 || true; fi
fi
# The daemon is stopped first: it would repair what the teardown removes.
if [ "${#teardown[@]}" -gt 0 ]; then
  rc=0; "${teardown[@]}" || rc=$?
  if [ "$rc" != 0 ]; then echo "uninstall.sh: privroute teardown failed (exit $rc); the program is kept: fix the cause and run uninstall.sh again" >&2; exit "$rc"; fi
fi
[ "$PURGE" = 1 ] && [ -n "$STATE" ] && rm -rf "${R}${STATE}"

# --- the installed files, deepest first; an edited config stays unless --purge ---
mapfile -t paths < "$LIST"
for ((i=${#paths[@]}-1; i>=0; i--)); do
  p="${paths[$i]}"
  case "$p" in /*) ;; *) echo "uninstall.sh: refusing relative path $p in $LIST" >&2; exit 1 ;; esac
  if [ "$p" = /etc/privroute/config.json ] && [ "$PURGE" = 0 ] && ! cmp -s "$R$p" "$R$OPT/deploy/config.example.json"; then
    echo "kept $p (edited; --purge removes it)"; continue
  fi
  if [ "$p" = "$OPT" ]; then rm -rf "${R:?}$OPT"
  elif [ -d "$R$p" ] && [ ! -L "$R$p" ]; then rmdir "$R$p" 2>/dev/null || echo "kept $p (not empty)"
  else rm -f "$R$p"; fi
done
echo "privroute removed"
