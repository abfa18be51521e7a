#!/bin/bash
# run privroute in the lxa lab's node (pct runtime)
R=/run/privroute-lab/lxa
export PATH=/work/wt/lxc/test/fixtures/bin:$PATH PCT_STANDIN_ROOT=$R/pve PCT_STANDIN_PID_DIR=$R/pids PRIVROUTE_DEB_CACHE=/var/cache/privroute-lxc/node-debs
exec nsenter --net=/run/netns/lxa-node -- node --import tsx /work/wt/lxc/src/cli/main.ts --config $R/config.json --state-dir $R/state "$@"
