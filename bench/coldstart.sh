#!/usr/bin/env bash
# How much of a cold `create` is the runtime's own start. In one run, alternating, with caches dropped
# before every command as bench/run.sh does: bare Bun (`bun -e 1`, the Bun strata's executable is built
# from) and bare Node.js (`node -e 1`), each CLI's `--version`, and
# each engine's `create` of a container from a small image (the host's busybox, imported untimed).
# Usage: sudo bash bench/coldstart.sh [ROUNDS]
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$REPO/bench/lib/common.sh"
in_clean_env "${BASH_SOURCE[0]}" "$@"
ROUNDS=${1:-5}
WORK=${STRATA_BENCH_WORK:-$REPO/bench/work}/coldstart
[[ $(id -u) -eq 0 ]] || die "run as root (it drops caches)"
[[ -x /bin/busybox ]] || apt_install busybox-static

# strata_cli and podman_cli, on stores under this script's $WORK.
source "$REPO/bench/lib/engines.sh"

unmount_under "$WORK"
rm -rf "$WORK"
mkdir -p "$WORK/rootfs/bin"
cp /bin/busybox "$WORK/rootfs/bin/"
tar -C "$WORK/rootfs" -cf "$WORK/busybox.tar" .
strata_cli import "$WORK/busybox.tar" cold/busybox >/dev/null

declare -A CMDS=(
  [node]="node -e 1"
  [bun]="$REPO/node_modules/bun/bin/bun.exe -e 1"
  [strata-version]="strata_cli --version"
  [strata-create]="strata_cli create --name cold cold/busybox /bin/sh"
)
if command -v podman >/dev/null; then
  podman_cli import "$WORK/busybox.tar" cold/busybox >/dev/null 2>&1
  CMDS[podman-version]="podman --version"
  CMDS[podman-create]="podman_cli create --name cold cold/busybox /bin/sh"
fi
declare -A TIMES
for ((r = 1; r <= ROUNDS; r++)); do
  for name in "${!CMDS[@]}"; do
    drop_caches
    start=$EPOCHREALTIME
    ${CMDS[$name]} >/dev/null
    TIMES[$name]+="$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }') "
    case $name in
      strata-create) strata_cli rm cold >/dev/null ;;
      podman-create) podman_cli rm cold >/dev/null ;;
    esac
  done
done
for name in $(printf '%s\n' "${!CMDS[@]}" | sort); do
  median=$(tr ' ' '\n' <<<"${TIMES[$name]}" | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "| $name | ${median} ms | ${TIMES[$name]% } | \`${CMDS[$name]}\` |"
done
unmount_under "$WORK"
