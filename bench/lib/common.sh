# shellcheck shell=bash
# Helpers shared by the benchmark scripts: logging, installs, cache dropping, timing, unmounting.

log() { echo "bench: $*" >&2; }
die() { log "$*"; exit 1; }

# in_clean_env SCRIPT ARGS…: run SCRIPT again with only PATH, HOME, LANG and STRATA_BENCH_WORK, as a
# fresh login would have them, so no engine pays for a setting of this host. (Seen here:
# NODE_EXTRA_CA_CERTS makes every Node.js process read and parse a bundle of CA certificates at start,
# 40 ms warm, that no Go binary pays.) Returns at once when already there.
in_clean_env() {
  [[ -n ${STRATA_BENCH_CLEAN_ENV:-} ]] && return 0
  local script=$1; shift
  exec env -i STRATA_BENCH_CLEAN_ENV=1 PATH="$PATH" HOME="$HOME" LANG=C.UTF-8 \
    ${STRATA_BENCH_WORK:+STRATA_BENCH_WORK="$STRATA_BENCH_WORK"} bash "$script" "$@"
}

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q "$@" >/dev/null 2>&1 </dev/null \
    || { apt-get update -q >/dev/null && apt-get install -y -q "$@" </dev/null >/dev/null; }
}

# Every timed run starts from the same cold state: dirty pages written back, page/dentry/inode caches
# empty. Without it this host's writeback alone moves a repeat run by seconds.
drop_caches() {
  sync
  echo 3 >/proc/sys/vm/drop_caches
}

# Seconds (6 decimals) between two $EPOCHREALTIME readings.
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", b - a }'; }

# Unmount everything mounted at or below DIR, deepest first.
unmount_under() {
  local dir=$1 m
  while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m"
  done < <(findmnt -rn -o TARGET | awk -v d="$dir" '$0 == d || index($0, d "/") == 1' | sort -r)
}
