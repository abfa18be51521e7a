#!/usr/bin/env bash
# Install privroute on a Proxmox VE 8/9 node (Debian 12/13), as root:
#   /opt/privroute                               the built program (dist, production node_modules)
#   /usr/local/bin/privroute                     the command on PATH
#   /etc/systemd/system/privroute-daemon.service the daemon unit (enabled, not started: fill the config first)
#   /etc/privroute/config.json                   an example config, mode 0600 (kept if one exists)
# Every path it creates is listed in /opt/privroute/.installed (uninstall.sh removes exactly those).
#
# Usage: deploy/install.sh [--root DIR] [--upgrade] [--no-build]
#   --upgrade    replace the program in /opt/privroute (and the command and unit file) of an
#                earlier install.sh; the config, the state and the node are left alone
#   --no-build   use this checkout's dist/ as it is (you just ran `npm run build`)
#   --root DIR   install under DIR instead of / (a test root; DESTDIR-style: the files refer to the
#                final paths). Under a root, `systemctl --root` enables the unit offline.
# Exit codes: 0 installed, 1 a step failed, 2 bad usage or an unmet requirement (Node < 20).
set -euo pipefail
ROOT=/ UPGRADE=0 BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT="${2:?--root needs a directory}"; shift 2 ;;
    --upgrade) UPGRADE=1; shift ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
SRC="$(cd "$(dirname "$0")/.." && pwd)"
R="${ROOT%/}"
OPT=/opt/privroute
UNIT=/etc/systemd/system/privroute-daemon.service

if [ "$(id -u)" -ne 0 ] && [ "$ROOT" = / ]; then echo "install.sh: run as root" >&2; exit 2; fi

# --- Node >= 20 (privroute's engines field) ---
NODE="$(command -v node || true)"
if [ -z "$NODE" ]; then
  major=0
else
  major="$("$NODE" -p 'process.versions.node.split(".")[0]')"
fi
if [ "$major" -lt 20 ]; then
  {
    echo "install.sh: privroute needs Node.js 20 or newer; found ${NODE:-none}${NODE:+ (v$("$NODE" --version | tr -d v))}."
    echo "  Debian 13 (PVE 9): apt-get install nodejs            (Debian 13 ships Node 20)"
    echo "  Debian 12 (PVE 8): its nodejs is 18. Use NodeSource's Node 20 repository:"
    echo "    curl -fsSL https://deb.nodesource.com/setup_20.x -o /root/nodesource_setup.sh"
    echo "    bash /root/nodesource_setup.sh && apt-get install -y nodejs"
    echo "  then run this script again."
  } >&2
  exit 2
fi

# --- build from this checkout (always: a dist/ left from before a `git pull` would be stale) ---
if [ "$BUILD" = 1 ]; then
  echo "building privroute in $SRC"
  (cd "$SRC" && npm run --silent build)
elif [ ! -f "$SRC/dist/src/cli/main.js" ]; then
  echo "install.sh: --no-build but $SRC/dist is not built (npm run build)" >&2; exit 2
fi

created=()
mk() { # mkdir -p, recording each directory it creates
  local d="$1" parts=() p
  while [ ! -e "$R$d" ]; do parts=("$d" "${parts[@]}"); d="$(dirname "$d")"; done
  for p in "${parts[@]}"; do install -d -m "${2:-0755}" "$R$p"; created+=("$p"); done
}

# --- the program ---
if [ "$UPGRADE" = 1 ]; then
  if [ ! -f "$R$OPT/.installed" ]; then echo "install.sh: --upgrade needs an earlier install ($R$OPT/.installed not found)" >&2; exit 1; fi
  find "$R$OPT" -mindepth 1 -maxdepth 1 ! -name .installed -exec rm -rf {} +
elif [ -e "$R$OPT" ]; then
  echo "install.sh: $R$OPT exists: upgrade with --upgrade, or run uninstall.sh first" >&2; exit 1
else
  mk "$OPT"
fi
cp -a "$SRC/package.json" "$SRC/package-lock.json" "$SRC/dist" "$SRC/proxmox" "$SRC/README.md" "$SRC/LICENSE" "$R$OPT/"
mkdir -p "$R$OPT/web" "$R$OPT/deploy"
cp -a "$SRC/web/static" "$R$OPT/web/"
cp -a "$SRC/deploy/uninstall.sh" "$SRC/deploy/privroute-daemon.service" "$SRC/deploy/config.example.json" "$R$OPT/deploy/"
# Production dependencies only; copied from the checkout and pruned (no network needed).
cp -a "$SRC/node_modules" "$R$OPT/"
(cd "$R$OPT" && npm prune --omit=dev --no-audit --no-fund --silent)

# --- privroute on PATH ---
write_wrapper() {
  printf '#!/bin/sh\n# privroute (installed by deploy/install.sh)\nexec %s %s "$@"\n' "$NODE" "$OPT/dist/src/cli/main.js" > "$R/usr/local/bin/privroute"
}
if [ "$UPGRADE" = 1 ]; then
  write_wrapper
  install -m 0644 "$SRC/deploy/privroute-daemon.service" "$R$UNIT"
  if [ "$ROOT" = / ] && command -v systemctl >/dev/null; then systemctl daemon-reload; fi
  echo "privroute upgraded in $OPT; run: privroute init && systemctl restart privroute-daemon"
  exit 0
fi
mk /usr/local/bin
if [ -e "$R/usr/local/bin/privroute" ]; then echo "install.sh: $R/usr/local/bin/privroute exists and is not privroute's" >&2; exit 1; fi
write_wrapper
chmod 0755 "$R/usr/local/bin/privroute"
created+=(/usr/local/bin/privroute)

# --- the daemon unit: installed and enabled (it starts once the config exists: ConditionPathExists) ---
mk /etc/systemd/system
install -m 0644 "$SRC/deploy/privroute-daemon.service" "$R$UNIT"
created+=("$UNIT")
if command -v systemctl >/dev/null; then
  # systemctl creates the .wants dir when missing: record it so uninstall leaves no trace.
  [ -e "$R/etc/systemd/system/multi-user.target.wants" ] || created+=(/etc/systemd/system/multi-user.target.wants)
  if [ "$ROOT" = / ]; then systemctl daemon-reload; systemctl enable privroute-daemon.service
  else systemctl --root="$R" enable privroute-daemon.service; fi
  created+=(/etc/systemd/system/multi-user.target.wants/privroute-daemon.service)
fi

# --- the example config (never overwrites one) ---
mk /etc/privroute 0700
if [ ! -e "$R/etc/privroute/config.json" ]; then
  install -m 0600 "$SRC/deploy/config.example.json" "$R/etc/privroute/config.json"
  created+=(/etc/privroute/config.json)
  echo "wrote /etc/privroute/config.json: fill the FILL-IN fields, then: privroute config check && privroute doctor"
fi

# uninstall.sh removes exactly these, deepest first.
printf '%s\n' "${created[@]}" > "$R$OPT/.installed"
echo "privroute installed in $OPT; run: privroute doctor"
