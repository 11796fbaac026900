#!/usr/bin/env bash
# Running containers (issue 11, item 10): strata against Docker, with bare runc on a prepared bundle as
# the floor, in one run that alternates the three (the order rotates each round) on the same busybox image:
#   run    `run --rm --network none IMAGE true`            floor: `runc run` of a bundle whose process is `true`
#   exec   `exec C true` into a running container           floor: `runc exec ID true`
#   start  one `start` of 20 created containers (sleep)     floor: 20 `runc run -d`
#   bun    `bun -e 1`: the start strata pays for its runtime (the target: run ≤ runc's + this + 0.1 s)
# and the memory an idle detached container costs beyond its own process: its supervisor's RSS and PSS
# (strata: conmon, Docker: containerd-shim-runc-v2), the parent of the container's PID 1, over 20 containers.
# Prints markdown tables: medians, and the median of the per-round ratios strata/peer with their range.
#
# Usage: sudo bash bench/containers.sh [--rounds N] [--warm]
#   --warm: do not drop the caches before each timed command (the default drops them, as DESIGN.md's method)
# Docker: the daemon on the default socket when one answers, else a private dockerd under $WORK.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$REPO/bench/lib/common.sh"
in_clean_env "${BASH_SOURCE[0]}" "$@"
ROUNDS=5 WARM=false
while (($#)); do
  case $1 in
    --rounds) ROUNDS=$2; shift 2 ;;
    --warm) WARM=true; shift ;;
    -h | --help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
[[ $(id -u) -eq 0 ]] || die "run as root (it runs containers and drops caches)"
WORK=${STRATA_BENCH_WORK:-$REPO/bench/work}/containers
source "$REPO/bench/lib/engines.sh"
[[ -x /bin/busybox ]] || apt_install busybox-static
command -v runc >/dev/null || apt_install runc
TAG=strata-bench/containers:busybox
N=20
RUNC_ROOT=$WORK/runc-state
BUN=$REPO/node_modules/bun/bin/bun.exe

# Docker: the host's daemon if it answers, else a private one (bench/lib/engines.sh).
if docker info >/dev/null 2>&1; then
  docker_cli() { docker "$@"; }
else
  install_peer docker
  start_dockerd
  PRIVATE_DOCKERD=true
fi

# Everything this script made, on each engine (docker_cli is a function, so no xargs).
cleanup() {
  set +e
  local ids
  ids=$(docker_cli ps -aq --filter "ancestor=$TAG" 2>/dev/null)
  [[ -n $ids ]] && docker_cli rm -f $ids >/dev/null 2>&1
  docker_cli rmi "$TAG" >/dev/null 2>&1
  [[ -n ${PRIVATE_DOCKERD:-} ]] && stop_dockerd
  for id in $(runc --root "$RUNC_ROOT" list -q 2>/dev/null); do runc --root "$RUNC_ROOT" delete -f "$id"; done
  if [[ -d $WORK/strata ]]; then
    ids=$(strata_cli ps -aq 2>/dev/null)
    [[ -n $ids ]] && strata_cli rm -f $ids >/dev/null 2>&1
  fi
  unmount_under "$WORK"
  return 0
}
trap cleanup EXIT
cleanup
rm -rf "$WORK"
mkdir -p "$WORK/bundle/rootfs/bin" "$WORK/bundle/rootfs/proc" "$WORK/bundle/rootfs/dev" "$WORK/bundle/rootfs/sys" "$RUNC_ROOT"
cp /bin/busybox "$WORK/bundle/rootfs/bin/"
chroot "$WORK/bundle/rootfs" /bin/busybox --install -s /bin
tar -C "$WORK/bundle/rootfs" -cf "$WORK/busybox.tar" .
strata_cli import "$WORK/busybox.tar" "$TAG" >/dev/null
docker_cli import "$WORK/busybox.tar" "$TAG" >/dev/null

# The floor's bundle: runc's own default spec (namespaces, mounts, capabilities), on the same files, its
# root read-only so that many containers can share it, and no terminal.
bundle() { # bundle DIR ARGS_JSON: a config.json in DIR running ARGS on the shared rootfs
  mkdir -p "$1"
  (cd "$1" && runc spec)
  local cfg
  cfg=$(sed -e "s#\"rootfs\"#\"$WORK/bundle/rootfs\"#" -e 's/"terminal": true/"terminal": false/' "$1/config.json")
  awk -v args="$2" '
    /"args": \[/ { print "\t\t\"args\": " args ","; skip = 1; next }
    skip && /\]/ { skip = 0; next }
    !skip { print }' <<<"$cfg" >"$1/config.json"
}
bundle "$WORK/bundle/true" '["true"]'
bundle "$WORK/bundle/sleep" '["sleep", "3600"]'
runc_cli() { runc --root "$RUNC_ROOT" "$@"; }

# A running container per engine for exec.
strata_cli run -d --name bench-exec "$TAG" sleep 3600 >/dev/null
docker_cli run -d --network none --name bench-exec-$$ "$TAG" sleep 3600 >/dev/null
(cd "$WORK/bundle/sleep" && runc_cli run -d bench-exec </dev/null >/dev/null 2>&1)

declare -A TIMES
# timed NAME CMD…: CMD's wall time in ms, appended to NAME's list.
timed() {
  local name=$1 t0; shift
  $WARM || drop_caches
  t0=$EPOCHREALTIME
  "$@" >/dev/null 2>"$WORK/err" </dev/null || { cat "$WORK/err" >&2; die "$name failed: $*"; }
  TIMES[$name]+="$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", (b - a) * 1000 }') "
}

names() { local i; for ((i = 1; i <= N; i++)); do echo "$1$i"; done; }
runc_start_all() { local i; for ((i = 1; i <= N; i++)); do (cd "$WORK/bundle/sleep" && runc_cli run -d "bench-start$i" >/dev/null 2>&1); done; }
runc_run_true() { (cd "$WORK/bundle/true" && runc_cli run "bench-true-$RANDOM"); }

one_round() { # one_round ENGINE: each workload once on ENGINE
  case $1 in
    strata)
      timed strata-run strata_cli run --rm --network none "$TAG" true
      timed strata-exec strata_cli exec bench-exec true
      for c in $(names bench-start); do strata_cli create --name "$c" "$TAG" sleep 3600 >/dev/null; done
      # shellcheck disable=SC2046
      timed strata-start strata_cli start $(names bench-start)
      # shellcheck disable=SC2046
      strata_cli rm -f $(names bench-start) >/dev/null
      ;;
    docker)
      timed docker-run docker_cli run --rm --network none "$TAG" true
      timed docker-exec docker_cli exec "bench-exec-$$" true
      for c in $(names "bench-start-$$-"); do docker_cli create --network none --name "$c" "$TAG" sleep 3600 >/dev/null; done
      # shellcheck disable=SC2046
      timed docker-start docker_cli start $(names "bench-start-$$-")
      # shellcheck disable=SC2046
      docker_cli rm -f $(names "bench-start-$$-") >/dev/null
      ;;
    runc)
      timed runc-run runc_run_true
      timed runc-exec runc_cli exec bench-exec true
      timed runc-start runc_start_all
      for c in $(names bench-start); do runc_cli delete -f "$c"; done
      timed bun "$BUN" -e 1
      ;;
  esac
}

ORDER=(strata docker runc)
for ((r = 0; r < ROUNDS; r++)); do
  for ((k = 0; k < 3; k++)); do one_round "${ORDER[(r + k) % 3]}"; done
  log "round $((r + 1)) of $ROUNDS done"
done

median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# ratios A B: the per-round ratios A/B as "median (min–max)"
ratios() {
  paste <(tr ' ' '\n' <<<"${TIMES[$1]}" | grep .) <(tr ' ' '\n' <<<"${TIMES[$2]}" | grep .) \
    | awk '{ print $1 / $2 }' | sort -g \
    | awk '{ a[NR] = $1 } END { printf "%.2f (%.2f–%.2f)", a[int((NR + 1) / 2)], a[1], a[NR] }'
}
echo "| workload | strata | Docker | runc (floor) | strata/Docker | strata/runc |"
echo "| --- | --- | --- | --- | --- | --- |"
for w in run exec start; do
  echo "| $w | $(median "${TIMES[strata-$w]}") ms | $(median "${TIMES[docker-$w]}") ms | $(median "${TIMES[runc-$w]}") ms | $(ratios "strata-$w" "docker-$w") | $(ratios "strata-$w" "runc-$w") |"
done
echo
echo "bun -e 1: $(median "${TIMES[bun]}") ms. Target for run: strata ≤ runc + bun + 100 ms = $(awk -v r="$(median "${TIMES[runc-run]}")" -v b="$(median "${TIMES[bun]}")" 'BEGIN { print r + b + 100 }') ms."
echo "Every run (ms): $(for k in "${!TIMES[@]}"; do printf '%s: %s; ' "$k" "${TIMES[$k]% }"; done)"

# Idle memory: N detached containers per engine, then the supervisor of each (the parent of its PID 1).
for c in $(names bench-idle); do strata_cli run -d --name "$c" "$TAG" sleep 3600 >/dev/null; done
for c in $(names "bench-idle-$$-"); do docker_cli run -d --network none --name "$c" "$TAG" sleep 3600 >/dev/null; done
sleep 2
# supervisors ENGINE NAMES…: "comm rss_kB pss_kB" of each container's supervisor
supervisors() {
  local e=$1 c pid ppid; shift
  for c in "$@"; do
    if [[ $e == strata ]]; then pid=$(strata_cli inspect -f '{{.State.Pid}}' "$c"); else pid=$(docker_cli inspect -f '{{.State.Pid}}' "$c"); fi
    ppid=$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status")
    echo "$(cat "/proc/$ppid/comm") $(awk '/^VmRSS:/ { print $2 }' "/proc/$ppid/status") $(awk '/^Pss:/ { print $2 }' "/proc/$ppid/smaps_rollup")"
  done
}
echo
echo "| idle detached container ($N each) | supervisor | RSS median | PSS median |"
echo "| --- | --- | --- | --- |"
# shellcheck disable=SC2046
for e in strata docker; do
  if [[ $e == strata ]]; then rows=$(supervisors strata $(names bench-idle)); else rows=$(supervisors docker $(names "bench-idle-$$-")); fi
  comm=$(awk '{ print $1 }' <<<"$rows" | sort -u | paste -sd,)
  echo "| $e | $comm | $(awk '{ print $2 }' <<<"$rows" | sort -n | awk '{ a[NR] = $1 } END { printf "%.1f MB", a[int((NR + 1) / 2)] / 1024 }') | $(awk '{ print $3 }' <<<"$rows" | sort -n | awk '{ a[NR] = $1 } END { printf "%.1f MB", a[int((NR + 1) / 2)] / 1024 }') |"
done
