#!/usr/bin/env bash
# How much of a short command is the runtime's own cold start: `--version` of each CLI (and bare
# `node -e 1`), alternating, with caches dropped before every run, as bench/run.sh times its workloads.
# Usage: sudo bash bench/coldstart.sh [ROUNDS]
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$REPO/bench/lib/common.sh"
in_clean_env "${BASH_SOURCE[0]}" "$@"
ROUNDS=${1:-5}
declare -A CMDS=([node]="node -e 1" [strata]="$REPO/bin/strata --version")
command -v podman >/dev/null && CMDS[podman]="podman --version"
command -v docker >/dev/null && CMDS[docker]="docker --version"
declare -A TIMES
for ((r = 1; r <= ROUNDS; r++)); do
  for name in "${!CMDS[@]}"; do
    sync
    echo 3 >/proc/sys/vm/drop_caches
    start=$(date +%s%N)
    ${CMDS[$name]} >/dev/null
    TIMES[$name]+="$(( ($(date +%s%N) - start) / 1000000 )) "
  done
done
for name in "${!CMDS[@]}"; do
  median=$(tr ' ' '\n' <<<"${TIMES[$name]}" | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "$name: median ${median} ms cold (${TIMES[$name]% }) — ${CMDS[$name]}"
done
