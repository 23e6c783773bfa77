#!/usr/bin/env bash
# Make this host able to run skiff: install the Debian packages it needs and make sure a
# Docker daemon answers. Shared by `make up`, `make test` and `skiff up`, so the list of
# what a fresh machine needs exists once. Idempotent: silent when everything is there,
# progress lines otherwise. There is no systemd on these machines, so dockerd is started
# here, in the background, logging to a file.
set -euo pipefail

PACKAGES=(
    docker.io        # the container runtime the kubelet drives
    etcd-server      # the apiserver's storage
    etcd-client      # etcdctl, for looking inside
    iptables         # the proxy's rules
    conntrack        # the proxy flushes stale UDP entries
    busybox-static   # the test workload image (skiff/busybox:test)
    gcc libc6-dev    # the static pause binary
    debootstrap      # root filesystems for the multi-node demo
    docker-compose   # the multi-node demo
)
LOG_DIR=${SKIFF_LOG_DIR:-/var/log/skiff}
DOCKERD_LOG=$LOG_DIR/dockerd.log
DOCKERD_TIMEOUT=${SKIFF_DOCKERD_TIMEOUT:-60}

say() { echo "ensure-deps: $*"; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing_packages() {
    local pkg
    for pkg in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -qx 'install ok installed' \
            || echo "$pkg"
    done
}

ensure_packages() {
    local missing
    missing=$(missing_packages | tr '\n' ' ')
    [ -z "${missing// }" ] && return 0
    say "installing Debian packages: $missing"
    # The package lists are fetched only when something is missing: an up-to-date machine
    # never touches the network here.
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    # shellcheck disable=SC2086 # one word per package
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing
}

docker_answers() { docker info >/dev/null 2>&1; }

ensure_dockerd() {
    docker_answers && return 0
    as_root mkdir -p "$LOG_DIR"
    say "starting dockerd (log: $DOCKERD_LOG)"
    # Its own session and no inherited descriptors: dockerd outlives make and never holds
    # the caller's output pipe open (a CI runner would wait on it forever).
    as_root setsid dockerd </dev/null >>"$DOCKERD_LOG" 2>&1 &
    wait_for_dockerd $!
}

# Bounded wait with backoff: `docker info` is the readiness check, the deadline is fixed.
wait_for_dockerd() {
    local pid=$1 deadline=$((SECONDS + DOCKERD_TIMEOUT)) delay=0.05
    until docker_answers; do
        if ! kill -0 "$pid" 2>/dev/null; then
            fail_dockerd "dockerd exited while starting"
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            fail_dockerd "dockerd did not answer within ${DOCKERD_TIMEOUT}s"
        fi
        sleep "$delay"
        delay=$(awk -v d="$delay" 'BEGIN { d *= 2; print (d > 1 ? 1 : d) }')
    done
    say "dockerd is up"
}

fail_dockerd() {
    echo "ensure-deps: $1; last lines of $DOCKERD_LOG:" >&2
    tail -n 30 "$DOCKERD_LOG" >&2 || true
    exit 1
}

ensure_packages
ensure_dockerd
