#!/usr/bin/env bash
# Set up a fresh Debian machine (as root) to build, run and test strata. Idempotent: it installs only
# what is missing and rebuilds only what is out of date. Quiet on success; on failure it prints the
# failing step's output and exits non-zero. Needs no terminal (CI=true, no stdin).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOG=$(mktemp -t strata-setup.XXXXXX)
trap 'rm -f "$LOG"' EXIT

# Run a step with its output captured; show it only if the step fails.
step() {
  local what=$1; shift
  if ! "$@" >"$LOG" 2>&1 </dev/null; then
    echo "setup: $what failed:" >&2
    cat "$LOG" >&2
    exit 1
  fi
}

# Debian packages needed at run and test time (command it provides → package).
# busybox-static: the demo's base image; skopeo, umoci: tests validate our docker-archive and OCI
# layout output with them; attr, util-linux, tar, gzip, sqlite3: tests inspect what we write; xfsprogs:
# the vfs test on a loop-mounted XFS proves reflinked layer copies;
# python3, make, g++: node-gyp builds the native addon from source; runc, crun, conmon, tini: containers
# run (crun only to show its refusal of this host's hybrid cgroups), supervised, with --init; docker-registry: the registry the pull and push tests start on 127.0.0.1;
# docker.io: its docker CLI (/usr/bin/docker, 20.10) is the real client the Engine API service is tested with,
# and its dockerd, started privately by a test, pulls what strata pushes;
# docker-compose: Debian's compose 1.29 (python), brought up against the service in the API tests;
# buildah: the third engine of bench/build.sh; openssl: the certificates of the TLS registry tests;
# libisal-dev: ISA-L, which the native addon links for gzip decompression and crc64 (its libisal2 at run time);
# strace: a run test sees when the store's syncs happen.
APT_PACKAGES=(busybox-static attr util-linux tar gzip skopeo umoci sqlite3 xfsprogs python3 make g++ runc crun conmon tini docker-registry docker.io docker-compose buildah openssl libisal-dev strace)

missing_packages() {
  local p
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
  done
}

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  # A package unknown to the local lists (or lists never fetched) needs an update first; a known one
  # may still 404 on stale lists, so retry once after an update.
  if ! apt-get install -y -q --no-install-recommends "$@"; then
    apt-get update -q && apt-get install -y -q --no-install-recommends "$@"
  fi
}

if [[ $(id -u) -ne 0 ]]; then
  echo "setup: run as root (it installs Debian packages and the tests mount filesystems)" >&2
  exit 1
fi

mapfile -t MISSING < <(missing_packages)
if ((${#MISSING[@]})); then
  step "apt-get install ${MISSING[*]}" apt_install "${MISSING[@]}"
fi

# Some machine images strip files from Python's standard library, which docker-compose (python) needs: a
# compose that cannot start gets that library reinstalled from Debian's packages.
if ! docker-compose version >/dev/null 2>&1; then
  PY_STDLIB="lib$(basename "$(readlink -f /usr/bin/python3)")-stdlib"
  step "apt-get install --reinstall $PY_STDLIB" apt_install --reinstall "$PY_STDLIB"
  docker-compose version >/dev/null
fi

# Node.js and npm install the dependencies (Bun among them) and build the addon (node-gyp); strata
# itself runs on the Bun that npm installs.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "setup: Node.js with npm is required and was not found on PATH" >&2
  exit 1
fi

cd "$REPO"

# npm ci wipes node_modules, so run it only when the lockfile changed since the last install.
install_deps() {
  if [[ -f package-lock.json ]]; then
    npm ci --no-audit --no-fund
  else
    npm install --no-audit --no-fund
  fi
}
STAMP=node_modules/.strata-setup-stamp
DEPS_KEY=$(cat package.json package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1)
# A tree installed before this script existed is trusted when npm sees every dependency in place and
# Bun's binary was put in place by its package, so other users of the tree don't see node_modules vanish.
BUN=node_modules/bun/bin/bun.exe
deps_already_installed() {
  "$BUN" --version >/dev/null 2>&1 && npm ls --depth=0 >/dev/null 2>&1
}
if [[ ! -f $STAMP || $(cat "$STAMP") != "$DEPS_KEY" ]]; then
  if [[ -f $STAMP ]] || ! deps_already_installed; then
    step "npm install" install_deps
  fi
  echo "$DEPS_KEY" >"$STAMP"
fi

# The addon is rebuilt only when its sources or build recipe are newer than the built module.
ADDON=build/Release/strata_native.node
if [[ ! -f $ADDON ]] || [[ -n $(find native binding.gyp -newer "$ADDON" -print -quit) ]]; then
  step "native addon build (node-gyp rebuild)" npx --no-install node-gyp rebuild
fi

# The bun package's install script puts the binary for this platform in place; without it there is no runtime.
if ! "$BUN" --version >/dev/null 2>&1; then
  echo "setup: $BUN does not run: npm did not run the bun package's install script (see npm install-scripts)" >&2
  exit 1
fi

# Type-check only: Bun runs the TypeScript itself (tests) and bundles it (the CLI).
step "TypeScript check (tsc -p .)" npx --no-install tsc -p .
step "CLI bundle (scripts/build.sh)" bash scripts/build.sh
