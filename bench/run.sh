#!/usr/bin/env bash
# strata vs Docker and Podman on the workloads of issue 2 item 9, in one run. See bench/README.md.
#
#   bash bench/run.sh [--rounds N] [--engines strata,docker,podman]
#                     [--workloads import,create,create-warm,diff-commit,creates] [--record]
#
# Every round runs each workload once on every engine, back to back, in an order that rotates from
# round to round; caches are dropped before every timed run and every run starts from the same store
# state. Reports median times and the median of the per-round ratios strata/peer; --record appends the
# table, with this command line, to bench/RESULTS.md.
set -euo pipefail
shopt -s inherit_errexit

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$REPO/bench/lib/common.sh"
in_clean_env "${BASH_SOURCE[0]}" "$@"
WORK=${STRATA_BENCH_WORK:-$REPO/bench/work}
COMMAND_LINE="bash bench/run.sh${*:+ $*}"

ROUNDS=5
ENGINES=(strata docker podman)
WORKLOADS=(import create create-warm diff-commit creates)
RECORD=false
while (($#)); do
  case $1 in
    --rounds) ROUNDS=$2; shift 2 ;;
    --engines) IFS=, read -ra ENGINES <<<"$2"; shift 2 ;;
    --workloads) IFS=, read -ra WORKLOADS <<<"$2"; shift 2 ;;
    --record) RECORD=true; shift ;;
    -h | --help) sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
((ROUNDS >= 1)) || { echo "bench: --rounds must be at least 1" >&2; exit 2; }

source "$REPO/bench/lib/minbase.sh"
source "$REPO/bench/lib/engines.sh"
source "$REPO/bench/lib/workloads.sh"

[[ $(id -u) -eq 0 ]] || die "run as root (it mounts, drops caches and runs dockerd)"
mkdir -p "$WORK"
exec 9>"$WORK/.lock"
flock -n 9 || die "another benchmark is running on $WORK"

TIMES=$WORK/times-$(date -u +%Y%m%dT%H%M%SZ).tsv
ERRLOG=$WORK/last-error.log
declare -A DIFF_COUNTS=()
CUR_WL='' CUR_ENGINE='' CUR_ROUND=0

# timed COMPONENT CMD…: run CMD from a cold cache and record its wall time. Its stdout is the caller's.
timed() { drop_caches; timed_as_is "$@"; }

# timed_as_is COMPONENT CMD…: the same, from whatever the caches hold (the workload's prepare step
# decides what that is).
timed_as_is() {
  local component=$1 t0 t1; shift
  t0=$EPOCHREALTIME
  "$@" 2>"$ERRLOG" || { cat "$ERRLOG" >&2; die "$CUR_ENGINE: $CUR_WL/$component failed: $*"; }
  t1=$EPOCHREALTIME
  local s
  s=$(elapsed "$t0" "$t1")
  printf '%s\t%s\t%s\t%d\t%s\n' "$CUR_WL" "$component" "$CUR_ENGINE" "$CUR_ROUND" "$s" >>"$TIMES"
  log "  round $CUR_ROUND $CUR_ENGINE $component ${s} s"
}

cleanup() {
  local e
  for e in "${ENGINES[@]}"; do
    [[ $e == docker ]] && stop_dockerd
    [[ $e == strata ]] && unmount_under "$WORK/strata"
    [[ $e == podman ]] && unmount_under "$WORK/podman"
  done
  stop_registry
  return 0
}
trap cleanup EXIT

# --- prepare: builds, peers, input, fresh stores ---
for e in "${ENGINES[@]}"; do
  case $e in
    strata) ;;
    docker | podman) install_peer "$e" || die "could not install $e" ;;
    skopeo) command -v skopeo >/dev/null || apt_install skopeo ;;
    *) die "unknown engine $e (strata, docker, podman, skopeo)" ;;
  esac
done
log "setting up strata (scripts/setup.sh)"
if [[ " ${ENGINES[*]} " == *" strata "* ]]; then
  bash "$REPO/scripts/setup.sh"
else
  # A peers-only run needs just the summarizer, which Bun runs from its source even while other parts
  # fail to build.
  bash "$REPO/scripts/setup.sh" || log "set-up failed; going on, as no strata run needs it"
  [[ -x $REPO/node_modules/bun/bin/bun.exe ]] || die "node_modules/bun was not installed"
fi
MINBASE_TAR=$(ensure_minbase_tar "$WORK")
for e in "${ENGINES[@]}"; do reset_store "$e"; done
for e in "${ENGINES[@]}"; do [[ $e == docker ]] && start_dockerd; done
declare -A VERSIONS=()
for e in "${ENGINES[@]}"; do VERSIONS[$e]=$(engine_version "$e"); done

log "input: $MINBASE_TAR ($(stat -c %s "$MINBASE_TAR") bytes, $(tar -tf "$MINBASE_TAR" | wc -l) entries)"
log "engines: $(for e in "${ENGINES[@]}"; do printf '%s; ' "${VERSIONS[$e]}"; done)"

# --- measure ---
for wl in "${WORKLOADS[@]}"; do
  fn=${wl//-/_}
  declare -F "wl_${fn}_run" >/dev/null || die "unknown workload $wl (import, create, create-warm, diff-commit, creates, pull, push-pulled, push-other, push-fresh)"
  CUR_WL=$wl
  log "workload $wl: $ROUNDS rounds"
  for e in "${ENGINES[@]}"; do CUR_ENGINE=$e; "wl_${fn}_setup" "$e"; done
  for ((r = 1; r <= ROUNDS; r++)); do
    CUR_ROUND=$r
    n=${#ENGINES[@]}
    for ((i = 0; i < n; i++)); do
      e=${ENGINES[$(((i + r - 1) % n))]}
      CUR_ENGINE=$e
      "wl_${fn}_prepare" "$e"
      "wl_${fn}_run" "$e"
      "wl_${fn}_cleanup" "$e"
    done
  done
  for e in "${ENGINES[@]}"; do CUR_ENGINE=$e; "wl_${fn}_teardown" "$e"; done
  if [[ $wl == diff-commit ]]; then
    log "diff output (last round): $(for e in "${ENGINES[@]}"; do printf '%s %s; ' "$e" "${DIFF_COUNTS[$e]}"; done)"
  fi
done

# --- report ---
SUMMARY=$("$REPO/node_modules/bun/bin/bun.exe" "$REPO/bench/summarize.ts" "$TIMES")
echo "$SUMMARY"
log "raw times: $TIMES"

if $RECORD; then
  if [[ ! -f $REPO/bench/RESULTS.md ]]; then
    printf '# Benchmark results\n\nAppended by `bash bench/run.sh --record`; the method is in bench/README.md.\n' \
      >"$REPO/bench/RESULTS.md"
  fi
  # Named before the first line is appended, which would make the checkout itself look dirty.
  checkout=$(git -C "$REPO" describe --always --dirty)
  {
    echo
    echo "## $(date -u '+%Y-%m-%d %H:%M UTC') · checkout $checkout"
    echo
    echo "Command: \`$COMMAND_LINE\` ($ROUNDS rounds; order rotated each round; caches dropped before every timed run)"
    echo
    echo "Host: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r), stores on $(findmnt -n -o FSTYPE --target "$WORK")."
    echo "Input: Debian $(awk '{ print $2 }' < <(apt_mirror_and_suite)) minbase rootfs tar, $(stat -c %s "$MINBASE_TAR") bytes, $(tar -tf "$MINBASE_TAR" | wc -l) entries."
    echo "Engines: $(for e in "${ENGINES[@]}"; do printf '%s; ' "${VERSIONS[$e]}"; done)"
    if [[ -n ${DIFF_COUNTS[*]} ]]; then
      echo "Diff lines (last round): $(for e in "${ENGINES[@]}"; do printf '%s %s; ' "$e" "${DIFF_COUNTS[$e]:-}"; done)"
    fi
    echo
    echo "$SUMMARY" | sed -n '/^|/,$p'
  } >>"$REPO/bench/RESULTS.md"
  log "appended to bench/RESULTS.md"
fi
