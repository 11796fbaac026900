#!/bin/bash
# The Engine API service against dockerd, with the same docker CLI binary (Debian's, 20.10) and DOCKER_HOST
# switched between them, alternating which goes first in each pair (strata then docker, docker then strata, …),
# with caches dropped before every timed run. Prints each workload's median of per-pair ratios (strata/docker) and both medians.
# Usage (as root, Docker's daemon running): bash bench/api.sh [PAIRS]   (default 5)
set -euo pipefail
PAIRS=${1:-5}
HERE=$(cd "$(dirname "$0")/.." && pwd)
DOCKER=/usr/bin/docker
WORK=$(mktemp -d /tmp/strata-apibench-XXXXXX)
ROOT=$WORK/store
# The service's socket beside dockerd's, in /run (strata's default place for root): after the cache drop, the
# CLI's connect() looks the path up on disk, and a socket under a large /tmp costs it more than dockerd's does.
SOCKDIR=$(mktemp -d /run/strata-apibench-XXXXXX)
SOCK=$SOCKDIR/strata.sock
STRATA_HOST=unix://$SOCK
DOCKERD_HOST=unix:///var/run/docker.sock
IMAGE=apibench:1

# The image: a busybox rootfs, imported into both engines.
mkdir -p $WORK/rootfs/{bin,etc,tmp}
cp /bin/busybox $WORK/rootfs/bin/
for a in sh true sleep; do ln -s busybox $WORK/rootfs/bin/$a; done
echo 'root:x:0:0:root:/root:/bin/sh' > $WORK/rootfs/etc/passwd
tar -C $WORK/rootfs -cf $WORK/rootfs.tar .

"$HERE/bin/strata" --root "$ROOT" system service --time 0 "unix://$SOCK" &
SERVICE=$!
cleanup() {
  DOCKER_HOST=$DOCKERD_HOST $DOCKER rm -f $($DOCKER -H $DOCKERD_HOST ps -aq --filter label=apibench) >/dev/null 2>&1 || true
  DOCKER_HOST=$DOCKERD_HOST $DOCKER rmi -f $IMAGE >/dev/null 2>&1 || true
  kill $SERVICE 2>/dev/null || true
  wait $SERVICE 2>/dev/null || true
  grep -o " $ROOT[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$WORK" "$SOCKDIR"
}
trap cleanup EXIT
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
for host in $STRATA_HOST $DOCKERD_HOST; do DOCKER_HOST=$host $DOCKER import $WORK/rootfs.tar $IMAGE >/dev/null; done
for host in $STRATA_HOST $DOCKERD_HOST; do DOCKER_HOST=$host $DOCKER create --label apibench --name apibench-ref $IMAGE true >/dev/null; done

now() { date +%s%N; }
drop() { sync; echo 3 > /proc/sys/vm/drop_caches; }
# One timed run of workload $1 against $2 (a DOCKER_HOST); prints nanoseconds.
timed() {
  local w=$1 host=$2 t0 t1
  drop
  t0=$(now)
  case $w in
    create) DOCKER_HOST=$host $DOCKER create --label apibench --network none $IMAGE true >/dev/null ;;
    ps-a) DOCKER_HOST=$host $DOCKER ps -a >/dev/null ;;
    inspect) DOCKER_HOST=$host $DOCKER inspect apibench-ref >/dev/null ;;
    images) DOCKER_HOST=$host $DOCKER images >/dev/null ;;
    run-rm) DOCKER_HOST=$host $DOCKER run --rm --network none $IMAGE true >/dev/null ;;
    creates-20) for _ in $(seq 20); do DOCKER_HOST=$host $DOCKER create --label apibench --network none $IMAGE true >/dev/null & done; wait ;;
  esac
  t1=$(now)
  echo $((t1 - t0))
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

printf '| workload | strata (median) | docker (median) | strata/docker (median of per-pair ratios, range) |\n| --- | --- | --- | --- |\n'
for w in create ps-a inspect images run-rm creates-20; do
  s=(); d=(); r=()
  for i in $(seq $PAIRS); do
    if ((i % 2)); then a=$(timed $w $STRATA_HOST); b=$(timed $w $DOCKERD_HOST)
    else b=$(timed $w $DOCKERD_HOST); a=$(timed $w $STRATA_HOST); fi
    s+=($a); d+=($b); r+=($(awk -v a=$a -v b=$b 'BEGIN{printf "%.3f", a/b}'))
  done
  ms() { printf '%s\n' "$@" | median | awk '{printf "%.1f ms", $1/1e6}'; }
  range=$(printf '%s\n' "${r[@]}" | sort -g | sed -n '1p;$p' | paste -sd'-')
  printf '| %s | %s | %s | %s (%s) |\n' $w "$(ms "${s[@]}")" "$(ms "${d[@]}")" "$(printf '%s\n' "${r[@]}" | median)" "$range"
done
