# shellcheck shell=bash
# The workloads of issue 2 item 9. Each has:
#   wl_NAME_setup ENGINE     once per engine before the rounds (untimed)
#   wl_NAME_prepare ENGINE   before every timed run, so each run starts from the same state (untimed)
#   wl_NAME_run ENGINE       the timed part: calls `timed COMPONENT CMD…` for each measured step
#   wl_NAME_cleanup ENGINE   after every timed run (untimed)
#   wl_NAME_teardown ENGINE  once per engine after the rounds (untimed)
# Source with WORK, MINBASE_TAR and engines.sh loaded; `timed` is defined by run.sh.

BASE=bench/minbase:latest
COMMITTED=bench/committed:latest
CREATES=100
NEW_DIRS=20     # × NEW_PER_DIR new files of NEW_SIZE bytes each
NEW_PER_DIR=100
NEW_SIZE=4096
CHANGED=100
DELETED=100

# Containers and images a workload leaves behind go, so the next run starts from the same store.
remove_containers() { local e=$1; shift; (($#)) && eng "$e" rm -f "$@" >/dev/null 2>&1 || true; }
remove_image() { eng "$1" rmi "$2" >/dev/null 2>&1 || true; }

import_base() {
  eng "$1" import "$MINBASE_TAR" "$BASE" >/dev/null 2>"$WORK/import.log" \
    || { cat "$WORK/import.log" >&2; die "$1: import of the base image failed"; }
}

# --- (a) import of the minbase tar into an empty store ---
wl_import_setup() { :; }
wl_import_prepare() { remove_image "$1" "$BASE"; }
wl_import_run() { timed import eng "$1" import "$MINBASE_TAR" "$BASE" >/dev/null; }
wl_import_cleanup() { remove_image "$1" "$BASE"; }
wl_import_teardown() { :; }

# --- (b) one create from that image ---
create_one() { eng "$1" create --name bench-create "$BASE" /bin/sh >/dev/null; }
wl_create_setup() { import_base "$1"; }
wl_create_prepare() { :; }
wl_create_run() { timed create create_one "$1"; }
wl_create_cleanup() { remove_containers "$1" bench-create; }
wl_create_teardown() { remove_image "$1" "$BASE"; }

# --- (b') the same create, warm: the CLI's binary and the store's metadata are in the page cache, as
# they are for any command that follows another. Prepared by an untimed create and rm of the same
# container, then caches left alone; the timed run still writes and syncs everything a create does.
wl_create_warm_setup() { import_base "$1"; }
wl_create_warm_prepare() {
  drop_caches
  create_one "$1"
  remove_containers "$1" bench-create
  sync
}
wl_create_warm_run() { timed_as_is create-warm create_one "$1"; }
wl_create_warm_cleanup() { remove_containers "$1" bench-create; }
wl_create_warm_teardown() { remove_image "$1" "$BASE"; }

# --- (c) diff and commit of a container with 2,000 new 4 KiB files, 100 changed, 100 deleted ---
# The same changes, from the same files, are made in each engine's container through its own mount
# of the container's rootfs (see open_rootfs), then the mount is closed before the timed part.

# New files (random bytes, so nothing can be deduplicated) and the lists of image files to change and
# delete (regular files under usr/share, spread evenly, taken from the minbase tar), made once.
make_change_set() {
  local set=$WORK/change-set d
  [[ -f $set/done ]] && return
  rm -rf "$set"
  mkdir -p "$set/new/bench-new"
  for ((d = 0; d < NEW_DIRS; d++)); do
    mkdir "$set/new/bench-new/d$d"
    head -c $((NEW_PER_DIR * NEW_SIZE)) /dev/urandom \
      | split -b "$NEW_SIZE" -d -a 3 - "$set/new/bench-new/d$d/f"
  done
  tar -tvf "$MINBASE_TAR" \
    | awk 'NF == 6 && substr($1, 1, 1) == "-" && $6 ~ /^\.\/usr\/share\// { print substr($6, 3) }' \
    | sort >"$set/candidates"
  local n want=$((CHANGED + DELETED))
  n=$(wc -l <"$set/candidates")
  ((n >= want)) || die "only $n candidate files in the minbase tar"
  awk -v n="$n" -v w="$want" 'BEGIN { s = n / w } { if (NR - 1 >= int(k * s) && k < w) { print; k++ } }' \
    "$set/candidates" >"$set/picked"
  awk 'NR % 2 == 1' "$set/picked" >"$set/change.list"
  awk 'NR % 2 == 0' "$set/picked" >"$set/delete.list"
  touch "$set/done"
}

apply_changes() {
  local root=$1 set=$WORK/change-set f
  cp -a "$set/new/bench-new" "$root/"
  while IFS= read -r f; do printf 'changed by the benchmark\n' >>"$root/$f"; done <"$set/change.list"
  (cd "$root" && xargs -d '\n' rm -- <"$set/delete.list")
}

wl_diff_commit_setup() { make_change_set; import_base "$1"; }
wl_diff_commit_prepare() {
  local e=$1 root
  eng "$e" create --name bench-dc "$BASE" /bin/sleep infinity >/dev/null
  root=$(open_rootfs "$e" bench-dc)
  [[ -d $root/usr ]] || die "$e: rootfs of bench-dc not mounted at '$root'"
  apply_changes "$root"
  close_rootfs "$e" bench-dc
}
wl_diff_commit_run() {
  local e=$1 out=$WORK/diff.$1.out
  timed diff eng "$e" diff bench-dc >"$out"
  timed commit eng "$e" commit bench-dc "$COMMITTED" >/dev/null
  # Same changes, so the same diff: record its A/C/D counts to show each engine did the same work.
  DIFF_COUNTS[$e]=$(awk '{ n[$1]++ } END { printf "A=%d C=%d D=%d", n["A"], n["C"], n["D"] }' "$out")
}
wl_diff_commit_cleanup() { remove_containers "$1" bench-dc; remove_image "$1" "$COMMITTED"; }
wl_diff_commit_teardown() { remove_image "$1" "$BASE"; }

# --- (d) 100 creates, one CLI call each, as a user or script would make them ---
create_many() {
  local e=$1 i
  for ((i = 1; i <= CREATES; i++)); do
    eng "$e" create --name "bench-many-$i" "$BASE" /bin/sh >/dev/null || return
  done
}
wl_creates_setup() { import_base "$1"; }
wl_creates_prepare() { :; }
wl_creates_run() { timed creates-100 create_many "$1" >/dev/null; }
wl_creates_cleanup() {
  local names=() i
  for ((i = 1; i <= CREATES; i++)); do names+=("bench-many-$i"); done
  remove_containers "$1" "${names[@]}"
}
wl_creates_teardown() { remove_image "$1" "$BASE"; }

# --- (issue 12) pull and push of the minbase image through a docker-registry on loopback ---
# Engines: strata, docker, podman, and skopeo (copy to and from a directory: the floor for moving the
# bytes). The registry is started once; its image is pushed once by a strata store of its own.
REGISTRY=''
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# launch_registry DIR PORT: a docker-registry on 127.0.0.1:PORT storing under DIR/data, its pid in DIR/pid.
launch_registry() {
  local dir=$1 port=$2 i
  mkdir -p "$dir"
  printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s/data\nhttp:\n  addr: 127.0.0.1:%s\n' \
    "$dir" "$port" >"$dir/config.yml"
  docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 </dev/null &
  echo $! >"$dir/pid"
  for ((i = 0; i < 100; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  die "docker-registry did not answer on 127.0.0.1:$port"
}
# kill_registry DIR: the registry launched under DIR stopped, waited for.
kill_registry() {
  local pid
  [[ -f $1/pid ]] || return 0
  pid=$(cat "$1/pid")
  kill "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  rm -f "$1/pid"
}
start_registry() {
  [[ -n $REGISTRY ]] && return 0
  local dir=$WORK/registry port
  rm -rf "$dir"
  port=$(free_port)
  launch_registry "$dir" "$port"
  REGISTRY=127.0.0.1:$port
  local seed=("$REPO/bin/strata" --root "$dir/seed" --storage-driver overlay2)
  "${seed[@]}" import "$MINBASE_TAR" "$REGISTRY/$BASE" >/dev/null
  "${seed[@]}" push -q "$REGISTRY/$BASE" >/dev/null || die "could not seed the registry"
  unmount_under "$dir/seed"
  rm -rf "$dir/seed"
}
stop_registry() {
  kill_registry "$WORK/registry"
  kill_registry "$WORK/registry-other"
  REGISTRY=''
}

# reg_cli ENGINE pull|push REF: the engine's pull or push (skopeo copies to or from $WORK/skopeo/DIR).
reg_cli() {
  local e=$1 verb=$2 ref=$3
  case $e in
    podman) podman_cli "$verb" -q --tls-verify=false "$ref" >/dev/null ;;
    skopeo)
      if [[ $verb == pull ]]; then skopeo copy -q --src-tls-verify=false "docker://$ref" "dir:$WORK/skopeo/pulled"
      else skopeo copy -q --dest-tls-verify=false "dir:$WORK/skopeo/pulled" "docker://$ref"; fi ;;
    *) eng "$e" "$verb" -q "$ref" >/dev/null ;;
  esac
}
# reg_drop ENGINE REF: the local copy gone (layers too).
reg_drop() {
  if [[ $1 == skopeo ]]; then rm -rf "$WORK/skopeo/pulled"; else remove_image "$1" "$2"; fi
}

# pull of the minbase image into a store without it
wl_pull_setup() { start_registry; mkdir -p "$WORK/skopeo"; }
wl_pull_prepare() { reg_drop "$1" "$REGISTRY/$BASE"; }
wl_pull_run() { timed pull reg_cli "$1" pull "$REGISTRY/$BASE"; }
wl_pull_cleanup() { :; }
wl_pull_teardown() { reg_drop "$1" "$REGISTRY/$BASE"; }

# push of a pulled image to a repository that does not have it yet (a new name each round)
wl_push_pulled_setup() { start_registry; mkdir -p "$WORK/skopeo"; reg_drop "$1" "$REGISTRY/$BASE"; reg_cli "$1" pull "$REGISTRY/$BASE"; }
wl_push_pulled_prepare() { [[ $1 == skopeo ]] || eng "$1" tag "$REGISTRY/$BASE" "$REGISTRY/bench/pp-$1-$CUR_ROUND:latest"; }
wl_push_pulled_run() { timed push-pulled reg_cli "$1" push "$REGISTRY/bench/pp-$1-$CUR_ROUND:latest"; }
wl_push_pulled_cleanup() { [[ $1 == skopeo ]] || remove_image "$1" "$REGISTRY/bench/pp-$1-$CUR_ROUND:latest"; }
wl_push_pulled_teardown() { reg_drop "$1" "$REGISTRY/$BASE"; }

# push of a pulled image to another registry, one with no blob of it (emptied before every round), so the
# layer's bytes must move: strata sends the compressed blob it kept from the pull; an engine that keeps
# only the unpacked layer compresses it again
OTHER_REGISTRY=''
other_ref() { echo "$OTHER_REGISTRY/bench/po-$1-$CUR_ROUND:latest"; }
wl_push_other_setup() { wl_push_pulled_setup "$1"; [[ -n $OTHER_REGISTRY ]] || OTHER_REGISTRY=127.0.0.1:$(free_port); }
wl_push_other_prepare() {
  kill_registry "$WORK/registry-other"
  rm -rf "$WORK/registry-other"
  launch_registry "$WORK/registry-other" "${OTHER_REGISTRY#*:}"
  [[ $1 == skopeo ]] || eng "$1" tag "$REGISTRY/$BASE" "$(other_ref "$1")"
}
wl_push_other_run() { timed push-other reg_cli "$1" push "$(other_ref "$1")"; }
wl_push_other_cleanup() { [[ $1 == skopeo ]] || remove_image "$1" "$(other_ref "$1")"; }
wl_push_other_teardown() { wl_push_pulled_teardown "$1"; }

# push of a freshly imported layer no engine has seen (the minbase tar and a file of its round's own, so no
# engine's records of earlier pulls let it skip the work); skopeo has no such image: skipped
fresh_tar() {
  local tar=$WORK/fresh-$CUR_ROUND.tar
  if [[ ! -s $tar ]]; then
    cp "$MINBASE_TAR" "$tar.tmp"
    head -c 64 /dev/urandom | base64 >"$WORK/bench-fresh-round"
    tar --append -f "$tar.tmp" -C "$WORK" bench-fresh-round
    mv "$tar.tmp" "$tar"
  fi
  echo "$tar"
}
wl_push_fresh_setup() { start_registry; }
wl_push_fresh_prepare() { [[ $1 == skopeo ]] || eng "$1" import "$(fresh_tar)" "$REGISTRY/bench/pf-$1-$CUR_ROUND:latest" >/dev/null; }
wl_push_fresh_run() { [[ $1 == skopeo ]] || timed push-fresh reg_cli "$1" push "$REGISTRY/bench/pf-$1-$CUR_ROUND:latest"; }
wl_push_fresh_cleanup() { [[ $1 == skopeo ]] || remove_image "$1" "$REGISTRY/bench/pf-$1-$CUR_ROUND:latest"; }
wl_push_fresh_teardown() { rm -f "$WORK"/fresh-*.tar; }
