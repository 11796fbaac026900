# shellcheck shell=bash
# The engines under test, each behind the same small set of verbs so every workload runs the same
# steps on each. Stores live under $WORK (bench/work), on the same filesystem for all three.
# Source with REPO and WORK set.

DOCKER_DIR=$WORK/docker
DOCKER_SOCK=unix://$DOCKER_DIR/docker.sock
# dockerd's exec-root holds containerd's socket, whose path must stay under the 108-byte limit for
# unix sockets, so it lives in /run rather than under a possibly deep work tree.
DOCKER_EXEC_ROOT=/run/strata-bench-docker

strata_cli() { "$REPO/bin/strata" --root "$WORK/strata" --storage-driver overlay2 "$@"; }
docker_cli() { docker -H "$DOCKER_SOCK" "$@"; }
podman_cli() { podman --root "$WORK/podman/root" --runroot "$WORK/podman/run" --storage-driver overlay "$@"; }

# eng ENGINE VERB ARGS…: the engine's CLI with the same arguments.
eng() {
  local e=$1; shift
  case $e in
    strata) strata_cli "$@" ;;
    docker) docker_cli "$@" ;;
    podman) podman_cli "$@" ;;
    *) die "unknown engine $e" ;;
  esac
}

install_peer() {
  case $1 in
    docker) command -v dockerd >/dev/null && command -v docker >/dev/null || apt_install docker.io ;;
    podman) command -v podman >/dev/null || apt_install podman ;;
  esac
}

reset_store() {
  case $1 in
    strata) unmount_under "$WORK/strata"; rm -rf "$WORK/strata" ;;
    docker) unmount_under "$DOCKER_DIR"; unmount_under "$DOCKER_EXEC_ROOT"; rm -rf "$DOCKER_DIR" "$DOCKER_EXEC_ROOT" ;;
    podman) unmount_under "$WORK/podman"; rm -rf "$WORK/podman" ;;
    skopeo) rm -rf "$WORK/skopeo" ;;
  esac
}

# A private dockerd: its own data root, socket and containerd; no iptables or bridge, so it changes
# nothing on the host's network and cannot clash with a system dockerd.
start_dockerd() {
  local d=$DOCKER_DIR
  mkdir -p "$d"
  dockerd --data-root "$d/data" --exec-root "$DOCKER_EXEC_ROOT" --pidfile "$d/dockerd.pid" \
    -H "$DOCKER_SOCK" --storage-driver overlay2 --iptables=false --ip6tables=false --bridge=none \
    >"$d/dockerd.log" 2>&1 </dev/null &
  local i
  for ((i = 0; i < 60; i++)); do
    docker_cli info >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  tail -20 "$d/dockerd.log" >&2
  die "dockerd did not start (log: $d/dockerd.log)"
}

stop_dockerd() {
  local pidfile pid i
  pidfile=$DOCKER_DIR/dockerd.pid
  [[ -f $pidfile ]] || return 0
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 60; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  kill -0 "$pid" 2>/dev/null && log "dockerd ($pid) did not stop in 30 s"
  unmount_under "$DOCKER_DIR"
}

engine_version() {
  case $1 in
    strata) echo "strata $(git -C "$REPO" describe --always --dirty) (overlay2)" ;;
    docker) echo "Docker Engine $(docker_cli version -f '{{.Server.Version}}') ($(docker_cli info -f '{{.Driver}}'))" ;;
    podman) echo "Podman $(podman_cli version -f '{{.Client.Version}}') ($(podman_cli info -f '{{.Store.GraphDriverName}}'))" ;;
    skopeo) skopeo --version ;;
  esac
}

# The container's root filesystem, mounted and writable, through the engine's own mount:
# `strata mount` and `podman mount`. Docker has no mount verb; its own mount of a container's rootfs
# is made when the container starts, at GraphDriver.Data.MergedDir, so the container runs `sleep`
# while the changes are made and is killed afterwards (which unmounts it).
open_rootfs() {
  local e=$1 c=$2
  case $e in
    strata | podman) eng "$e" mount "$c" ;;
    docker)
      docker_cli start "$c" >/dev/null
      docker_cli inspect -f '{{.GraphDriver.Data.MergedDir}}' "$c"
      ;;
  esac
}

close_rootfs() {
  local e=$1 c=$2
  case $e in
    strata | podman) eng "$e" unmount "$c" >/dev/null ;;
    docker) docker_cli kill "$c" >/dev/null && docker_cli wait "$c" >/dev/null ;;
  esac
}
