#!/usr/bin/env bash
# Peak memory of importing a tar of many one-byte files (1,000 per directory), strata against Docker.
#   sudo bash bench/import-memory.sh [COUNT…]        (default: 200000 1000000)
# strata: the peak RSS of the `strata import` process (/usr/bin/time's maximum resident set size).
# Docker: `docker import` does its work in the daemon (dockerd, and the docker-untar child it starts),
# so it is sampled there every 50 ms: the highest summed RSS of dockerd and its descendants, less what
# they held idle before the import, plus the docker CLI's own peak. Docker is a private dockerd
# (bench/lib/engines.sh), skipped when dockerd is not installed. One import per engine and count:
# the large case takes minutes and gigabytes on a shared machine.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$REPO/bench/lib/common.sh"
in_clean_env "${BASH_SOURCE[0]}" "$@"
WORK=${STRATA_BENCH_WORK:-$REPO/bench/work}
COUNTS=("$@")
((${#COUNTS[@]})) || COUNTS=(200000 1000000)
[[ $(id -u) -eq 0 ]] || die "run as root (it mounts and runs dockerd)"
source "$REPO/bench/lib/engines.sh"
TARS=$WORK/import-memory
mkdir -p "$TARS"

ENGINES=(strata)
command -v dockerd >/dev/null && command -v docker >/dev/null && ENGINES+=(docker)
log "engines: ${ENGINES[*]}"

# many_files_tar N: a tar of N one-byte files, 1,000 to a directory (built once). Prints its path.
many_files_tar() {
  local n=$1 out=$TARS/files-$1.tar
  [[ -s $out ]] || python3 - "$n" "$out.tmp" <<'EOF'
import io, sys, tarfile
n, out = int(sys.argv[1]), sys.argv[2]
with tarfile.open(out, 'w', format=tarfile.USTAR_FORMAT) as t:
    for i in range(n):
        if i % 1000 == 0:
            d = tarfile.TarInfo(f'd{i // 1000}'); d.type = tarfile.DIRTYPE; d.mode = 0o755; t.addfile(d)
        f = tarfile.TarInfo(f'd{i // 1000}/f{i % 1000}'); f.size = 1; f.mode = 0o644
        t.addfile(f, io.BytesIO(b'x'))
EOF
  [[ -s $out ]] || mv "$out.tmp" "$out"
  echo "$out"
}

# tree_rss PID: resident KiB of PID and all its descendants, now.
tree_rss() {
  local all=$1 level=$1 next
  while next=$(pgrep -d, -P "$level"); do all+=",$next"; level=$next; done
  ps -o rss= -p "$all" | awk '{ s += $1 } END { print s + 0 }'
}

# peak_rss_of CMD…: run CMD (a program: /usr/bin/time cannot run shell functions such as strata_cli);
# print "PEAK_KIB SECONDS" (CMD's own peak RSS, wall time).
peak_rss_of() {
  local t0 t1 out
  out=$(mktemp)
  t0=$EPOCHREALTIME
  /usr/bin/time -o "$out" -f %M "$@" >/dev/null
  t1=$EPOCHREALTIME
  echo "$(tail -1 "$out") $(elapsed "$t0" "$t1")"
  rm -f "$out"
}

measure() {
  local e=$1 tar=$2 n=$3 cli secs idle peak sampler samples
  case $e in
    strata)
      read -r cli secs < <(peak_rss_of "$REPO/bin/strata" --root "$WORK/strata" --storage-driver overlay2 import "$tar" "bench/many:$n")
      strata_cli rmi "bench/many:$n" >/dev/null
      echo "$cli $secs"
      ;;
    docker)
      local dpid
      dpid=$(cat "$DOCKER_DIR/dockerd.pid")
      idle=$(tree_rss "$dpid")
      samples=$(mktemp)
      (while :; do tree_rss "$dpid" >>"$samples"; sleep 0.05; done) &
      sampler=$!
      read -r cli secs < <(peak_rss_of docker -H "$DOCKER_SOCK" import "$tar" "bench/many:$n")
      kill "$sampler"
      wait "$sampler" 2>/dev/null || true
      peak=$(sort -n "$samples" | tail -1)
      rm -f "$samples"
      docker_cli rmi "bench/many:$n" >/dev/null
      echo "$((peak - idle + cli)) $secs"
      ;;
  esac
}

cleanup() {
  for e in "${ENGINES[@]}"; do
    [[ $e == docker ]] && stop_dockerd
    [[ $e == strata ]] && unmount_under "$WORK/strata"
  done
  return 0
}
trap cleanup EXIT
for e in "${ENGINES[@]}"; do reset_store "$e"; done
bash "$REPO/scripts/setup.sh"
for e in "${ENGINES[@]}"; do [[ $e == docker ]] && start_dockerd; done

echo "| files | tar size | engine | peak RSS | wall time |"
echo "| --- | --- | --- | --- | --- |"
for n in "${COUNTS[@]}"; do
  tar=$(many_files_tar "$n")
  for e in "${ENGINES[@]}"; do
    drop_caches
    read -r kib secs < <(measure "$e" "$tar" "$n")
    printf '| %d | %d MB | %s | %d MB | %.1f s |\n' "$n" "$(($(stat -c %s "$tar") / 1000000))" "$e" "$((kib / 1024))" "$secs"
  done
done
