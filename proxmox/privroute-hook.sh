#!/bin/sh
# privroute hookscript, written by `privroute init` (rewritten on every init: edit the config, not this file).
# Proxmox runs it as root with <vmid> <phase> (pre-start, post-start, pre-stop, post-stop).
# post-start: privroute moves the container's socket in and reconciles its hop.
exec '/usr/bin/node' '/opt/privroute/dist/src/cli/main.js' '--config' '/etc/privroute/config.json' '--state-dir' '/var/lib/privroute' 'hook' "$1" "$2"
