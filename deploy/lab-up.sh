#!/usr/bin/env bash
# README command 1: on a fresh Debian 12 machine, as root, install what the lab
# needs, build privroute, bring the whole chain up in network namespaces, and
# print the proof (the exit address the web server saw, and each hop's health).
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh
exec node dist/src/cli/main.js lab up "$@"
