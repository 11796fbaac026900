#!/usr/bin/env bash
# strata build vs Docker's classic builder (DOCKER_BUILDKIT=0 docker build), and buildah (`buildah bud
# --layers --runtime runc`: its OCI isolation with runc, the runtime strata and Docker run RUN steps with; its
# default runtime, crun, refuses this host's hybrid cgroups) when it is installed and can run a RUN step here, on issue 13 item 9's Dockerfile, cold (no cache: the last build's images removed) and fully
# cached, in one run:
#
#   bash bench/build.sh [--rounds N] [--record]
#
# The Dockerfile: FROM the Debian minbase image, a RUN that writes 200 files, a COPY of 1,000 small files,
# an ENV and a CMD. Each round times every engine cold, then cached, in an order that rotates from round
# to round, with `sync` and dropped caches before every timed build. Reports the median times and the
# median of the per-round ratios strata/peer; --record appends the table to bench/RESULTS.md.
# Docker is the running daemon; its images here are tagged build-bench-*, and removed at the end; buildah takes
# the base image from Docker's (docker-daemon:) into its own storage.
set -euo pipefail
shopt -s inherit_errexit

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$REPO/bench/lib/common.sh"
source "$REPO/bench/lib/minbase.sh"
WORK=${STRATA_BENCH_WORK:-$REPO/bench/work}
COMMAND_LINE="bash bench/build.sh${*:+ $*}"
ROUNDS=5
RECORD=false
while (($#)); do
  case $1 in
    --rounds) ROUNDS=$2; shift 2 ;;
    --record) RECORD=true; shift ;;
    -h | --help) sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
[[ $(id -u) -eq 0 ]] || die "run as root (it mounts and drops caches)"
mkdir -p "$WORK"
MINBASE=${STRATA_BENCH_MINBASE:-$(ensure_minbase_tar "$WORK")}
STORE=$WORK/build-strata
CONTEXT=$WORK/build-context
ENGINES=(strata docker)
command -v buildah >/dev/null && ENGINES+=(buildah)
BUILDAH_BASE=docker.io/library/build-bench-minbase:latest

strata_cli() { "$REPO/bin/strata" --root "$STORE" "$@"; }

# The context: the Dockerfile and 1,000 files of 1-4 KiB in 10 directories (the same bytes on every run).
make_context() {
  rm -rf "$CONTEXT"
  mkdir -p "$CONTEXT"
  for d in $(seq 0 9); do
    mkdir -p "$CONTEXT/files/d$d"
    for f in $(seq 0 99); do head -c $(((d * 100 + f) % 3072 + 1024)) /dev/zero | tr '\0' "$((f % 10))" >"$CONTEXT/files/d$d/f$f"; done
  done
  cat >"$CONTEXT/Dockerfile" <<'EOF'
ARG BASE
FROM $BASE
RUN mkdir -p /opt/gen && for i in $(seq 1 200); do echo "generated line $i" > /opt/gen/f$i; done
COPY files /opt/files
ENV APP=bench
CMD ["/bin/sh"]
EOF
}

prepare() {
  log "importing $MINBASE into strata ($STORE) and docker"
  rm -rf "$STORE"
  strata_cli import "$MINBASE" bench/minbase:latest >/dev/null
  docker rmi build-bench-minbase:latest >/dev/null 2>&1 || true
  docker import "$MINBASE" build-bench-minbase:latest >/dev/null
  make_context
  if [[ " ${ENGINES[*]} " == *" buildah "* ]]; then
    buildah rmi -f "$BUILDAH_BASE" >/dev/null 2>&1 || true
    buildah pull -q docker-daemon:build-bench-minbase:latest >/dev/null
    # buildah stays optional: if it cannot build here (a RUN step needs its isolation to work), say why and go on without it.
    if ! build buildah >/dev/null 2>"$WORK/build-buildah-probe.log"; then
      log "buildah cannot build here, left out: $(tail -3 "$WORK/build-buildah-probe.log" | tr '\n' ' ')"
      ENGINES=(strata docker)
    fi
    forget buildah
  fi
}

# build ENGINE: one build of the context, tagged build-bench-out.
build() {
  case $1 in
    strata) strata_cli build -q --build-arg BASE=bench/minbase:latest -t bench/out:latest "$CONTEXT" ;;
    docker) DOCKER_BUILDKIT=0 docker build -q --build-arg BASE=build-bench-minbase:latest -t build-bench-out:latest "$CONTEXT" ;;
    buildah) buildah bud --runtime runc --layers -q --build-arg BASE="$BUILDAH_BASE" -t build-bench-out "$CONTEXT" ;;
  esac
}

# forget ENGINE: remove the built image and its intermediate images, so the next build is cold.
forget() {
  case $1 in
    strata) strata_cli rmi bench/out:latest >/dev/null 2>&1 || true ;;
    docker) docker rmi build-bench-out:latest >/dev/null 2>&1 || true ;;
    # The intermediate images --layers made are dangling once the result is gone: --prune removes them.
    buildah) buildah rmi -f build-bench-out >/dev/null 2>&1 || true; buildah rmi --prune >/dev/null 2>&1 || true ;;
  esac
}

# timed ENGINE: seconds one build takes from cold page caches.
timed() {
  local t0 t1
  drop_caches
  t0=$EPOCHREALTIME
  build "$1" >/dev/null 2>"$WORK/build-last-error.log" || { cat "$WORK/build-last-error.log" >&2; die "$1 build failed"; }
  t1=$EPOCHREALTIME
  elapsed "$t0" "$t1"
}

prepare
TIMES=$WORK/build-times.tsv
: >"$TIMES"
for ((round = 0; round < ROUNDS; round++)); do
  order=("${ENGINES[@]:round % ${#ENGINES[@]}}" "${ENGINES[@]:0:round % ${#ENGINES[@]}}")
  for e in "${order[@]}"; do
    forget "$e"
    cold=$(timed "$e") || exit 1
    cached=$(timed "$e") || exit 1
    printf '%s\tcold\t%s\t%s\n%s\tcached\t%s\t%s\n' "$round" "$e" "$cold" "$round" "$e" "$cached" >>"$TIMES"
  done
  log "round $((round + 1))/$ROUNDS done"
done
for e in "${ENGINES[@]}"; do forget "$e"; done
docker rmi build-bench-minbase:latest >/dev/null 2>&1 || true
if [[ " ${ENGINES[*]} " == *" buildah "* ]]; then buildah rmi -f "$BUILDAH_BASE" >/dev/null 2>&1 || true; fi
unmount_under "$STORE" 2>/dev/null || true

# The table: medians and the median of the per-round ratios (with their range) against each peer.
TABLE=$(awk -F'\t' -v engines="${ENGINES[*]}" '
  function median(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t } return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  { t[$2, $3, $1] = $4; rounds[$1] = 1 }
  END {
    ne = split(engines, E, " ")
    header = "| build | strata (median) |"; sep = "| --- | --- |"
    for (k = 2; k <= ne; k++) { header = header " " E[k] " (median) | strata/" E[k] " (median of per-round ratios, range) |"; sep = sep " --- | --- |" }
    print header " target |"; print sep " --- |"
    split("cold cached", W, " ")
    for (w = 1; w <= 2; w++) {
      n = 0; for (r in rounds) { n++; s[n] = t[W[w], "strata", r] }
      line = "| " W[w] " | " sprintf("%.3f s", median(s, n)) " |"
      for (k = 2; k <= ne; k++) {
        n = 0; lo = 1e9; hi = 0
        for (r in rounds) { n++; p[n] = t[W[w], E[k], r]; q[n] = t[W[w], "strata", r] / t[W[w], E[k], r]; if (q[n] < lo) lo = q[n]; if (q[n] > hi) hi = q[n] }
        ratio = median(q, n); line = line " " sprintf("%.3f s", median(p, n)) " | " sprintf("%.2f (%.2f–%.2f)", ratio, lo, hi) " |"
        if (E[k] == "docker") { goal = W[w] == "cold" ? 1.0 : 0.5; verdict = sprintf("≤ %.2f× docker: %s", goal, ratio <= goal ? "met" : "missed") }
      }
      print line " " verdict " |"
    }
  }' "$TIMES")
echo "$TABLE"
if $RECORD; then
  # Read before the block appends to RESULTS.md, which would itself make the checkout dirty.
  CHECKOUT="$(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet || echo -dirty)"
  {
    echo
    echo "## $(date -u '+%Y-%m-%d %H:%M UTC') · build · checkout $CHECKOUT${STRATA_BENCH_NOTE:+ · $STRATA_BENCH_NOTE}"
    echo
    echo "Command: \`$COMMAND_LINE\` ($ROUNDS rounds; order rotated each round; caches dropped before every timed build)"
    echo
    echo "Dockerfile: FROM the Debian minbase image ($(stat -c %s "$MINBASE") bytes of tar), a RUN writing 200 files, COPY of 1,000 files (1-4 KiB), ENV, CMD."
    echo "Engines: strata (overlay2); Docker $(docker version -f '{{.Server.Version}}') classic builder (DOCKER_BUILDKIT=0)$([[ " ${ENGINES[*]} " == *" buildah "* ]] && echo "; buildah $(buildah --version | awk '{print $3}') (\`bud --layers --runtime runc\`, its $(buildah info --format '{{.store.GraphDriverName}}' 2>/dev/null) storage)" || echo "; buildah not installed or unable to build here")."
    echo
    echo "$TABLE"
  } >>"$REPO/bench/RESULTS.md"
fi
