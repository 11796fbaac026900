#!/usr/bin/env bash
# What a short command costs, start included: each runtime bare (`-e 1`) and each strata CLI's
# `--version`, `create`, `images`, `ps -a` and `inspect` (and Docker's, when a daemon answers), warm (caches not dropped), whole processes,
# in one run that alternates the commands (A B C … A B C …) so the load of a shared host falls on all
# alike. Prints, in milliseconds, the median wall time and its spread (the middle half of the runs,
# 25th–75th percentile), the median CPU time (user + system: what a host shared with other work
# inflates far less), and the wall time of every run.
#
# Usage: bash bench/startup.sh [ROUNDS] [LABEL=CLI …]
#   CLI is a strata command (bin/strata of some checkout); the default is this checkout's, labelled
#   bun. A checkout of an older strata gives the Node.js figures, e.g. node=/tmp/strata-node/bin/strata.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$REPO/bench/lib/common.sh"
in_clean_env "${BASH_SOURCE[0]}" "$@"
ROUNDS=${1:-20}
shift || true
(($#)) || set -- "bun=$REPO/bin/strata"
WORK=${STRATA_BENCH_WORK:-$REPO/bench/work}/startup
[[ -x /bin/busybox ]] || apt_install busybox-static

unmount_under "$WORK"
rm -rf "$WORK"
mkdir -p "$WORK/rootfs/bin"
cp /bin/busybox "$WORK/rootfs/bin/"
tar -C "$WORK/rootfs" -cf "$WORK/busybox.tar" .

declare -A CMDS=(
  [runtime-bun]="$REPO/node_modules/bun/bin/bun.exe -e 1"
  [runtime-node]="node -e 1"
)
for spec in "$@"; do
  label=${spec%%=*} cli=${spec#*=}
  # Each CLI on a store of its own, with one image and one container in it (made untimed).
  store="$cli --root $WORK/$label --storage-driver overlay2"
  $store import "$WORK/busybox.tar" start/busybox >/dev/null
  $store create --name first start/busybox /bin/sh >/dev/null
  CMDS[$label-version]="$cli --version"
  CMDS[$label-create]="$store create start/busybox /bin/sh"
  CMDS[$label-images]="$store images"
  CMDS[$label-ps]="$store ps -a"
  CMDS[$label-inspect]="$store inspect start/busybox"
done

# Docker's CLI on the same work, when a daemon answers on the default socket (its own store, untouched
# otherwise but for one image and the containers these commands make). Every docker client found is
# timed: the one first on PATH, and Debian's (docker.io's /usr/bin/docker, 20.10, the engine's own
# package) when it is another; their start costs differ by half.
CLIENTS=()
command -v docker >/dev/null && CLIENTS+=("docker=$(command -v docker)")
[[ -x /usr/bin/docker && $(command -v docker) != /usr/bin/docker ]] && CLIENTS+=("docker-debian=/usr/bin/docker")
if ((${#CLIENTS[@]})) && docker info >/dev/null 2>&1; then
  docker import "$WORK/busybox.tar" start/busybox >/dev/null
  docker create --name "start-first-$$" start/busybox /bin/sh >/dev/null
  for spec in "${CLIENTS[@]}"; do
    label=${spec%%=*} cli=${spec#*=}
    CMDS[$label-version]="$cli --version"
    CMDS[$label-create]="$cli create start/busybox /bin/sh"
    CMDS[$label-images]="$cli images"
    CMDS[$label-ps]="$cli ps -a"
    CMDS[$label-inspect]="$cli inspect start/busybox"
  done
  trap 'docker ps -aq --filter ancestor=start/busybox | xargs -r docker rm >/dev/null; docker rmi start/busybox >/dev/null' EXIT
fi

declare -A WALL CPU
TIMEFORMAT='%R %U %S'
for ((r = 1; r <= ROUNDS; r++)); do
  for name in "${!CMDS[@]}"; do
    read -r real user sys < <({ time ${CMDS[$name]} >/dev/null 2>&1; } 2>&1)
    WALL[$name]+="$(awk -v t="$real" 'BEGIN { printf "%.0f", t * 1000 }') "
    CPU[$name]+="$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.0f", (u + s) * 1000 }') "
  done
done

# The value at fraction q of the sorted runs (nearest rank): 0.5 the median, 0.25 and 0.75 the quartiles.
quantile() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk -v q="$2" '{ a[NR] = $1 } END { i = int(q * NR + 0.5); print a[i < 1 ? 1 : i] }'; }
echo "| command | wall (median) | wall (middle half) | CPU (median) | wall, every run | command line |"
echo "| --- | --- | --- | --- | --- | --- |"
for name in $(printf '%s\n' "${!CMDS[@]}" | sort); do
  echo "| $name | $(quantile "${WALL[$name]}" 0.5) ms | $(quantile "${WALL[$name]}" 0.25)–$(quantile "${WALL[$name]}" 0.75) ms | $(quantile "${CPU[$name]}" 0.5) ms | ${WALL[$name]% } | \`${CMDS[$name]/#$REPO\//}\` |"
done
unmount_under "$WORK"
rm -rf "$WORK"
