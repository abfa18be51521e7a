#!/usr/bin/env bash
# Remove what deploy/install.sh installed (the paths listed in /opt/privroute/.installed:
# program, command, daemon unit, and the example config if install.sh wrote it), and on a node
# (--root /) what `privroute init` created on it:
#   - the hookscript snippet and each container's `hookscript:` line,
#   - the ifupdown2 stanza (runtime.interfaces_file),
#   - the chain bridge, only when it carries privroute's mark (external_ids:privroute-owner),
#   - privroute's containers, only with --containers (they hold the gateway's keys).
# Not removed: the state dir /var/lib/privroute (client keys, WARP account) unless --purge,
# and an edited config (a config that differs from the example) unless --purge.
#
# Usage: deploy/uninstall.sh [--root DIR] [--containers] [--purge]
set -euo pipefail
ROOT=/ CONTAINERS=0 PURGE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT="${2:?--root needs a directory}"; shift 2 ;;
    --containers) CONTAINERS=1; shift ;;
    --purge) PURGE=1; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "uninstall.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
R="${ROOT%/}"
OPT=/opt/privroute
LIST="$R$OPT/.installed"
if [ ! -f "$LIST" ]; then echo "uninstall.sh: $LIST not found: privroute was not installed by install.sh under $ROOT" >&2; exit 1; fi

# --- what init created on the node (only on the real node: a test root has no node) ---
if [ "$ROOT" = / ] && [ -f /etc/privroute/config.json ]; then
  cfg() { node -e 'const c=JSON.parse(require("fs").readFileSync("/etc/privroute/config.json","utf8")).plugins.privacy_router;const v=process.argv[1].split(".").reduce((o,k)=>o==null?o:o[k],c);process.stdout.write(v==null?"":String(v))' "$1"; }
  bridge="$(cfg bridge_name)"; bridge="${bridge:-ovsbr0}"
  ifile="$(cfg runtime.interfaces_file)"; ifile="${ifile:-/etc/network/interfaces.d/privroute}"
  ids=("$(cfg wireguard.container_id)" "$(cfg xray.container_id)")
  if command -v pct >/dev/null; then
    for id in "${ids[@]:-}"; do
      [ -n "$id" ] || continue
      if pct config "$id" 2>/dev/null | grep -q '^hookscript: local:snippets/privroute-hook.sh$'; then pct set "$id" --delete hookscript; fi
      if [ "$CONTAINERS" = 1 ] && pct config "$id" >/dev/null 2>&1; then pct stop "$id" 2>/dev/null || true; pct destroy "$id"; fi
    done
    snip="$(pvesm path local:snippets/privroute-hook.sh 2>/dev/null || true)"
    [ -n "$snip" ] && rm -f "$snip"
  fi
  rm -f "$ifile"
  if command -v ovs-vsctl >/dev/null && [ "$(ovs-vsctl --if-exists get Bridge "$bridge" external_ids:privroute-owner 2>/dev/null)" = '"privroute"' ]; then
    ovs-vsctl del-br "$bridge"
  fi
  [ "$PURGE" = 1 ] && rm -rf /var/lib/privroute
fi

# --- the daemon unit ---
if command -v systemctl >/dev/null; then
  if [ "$ROOT" = / ]; then systemctl disable --now privroute-daemon.service || true
  else systemctl --root="$R" disable privroute-daemon.service >/dev/null 2>&1 || true; fi
fi

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
