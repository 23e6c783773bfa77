# Shell helpers for the demo images' entrypoints (sourced, not run).
#
# A container here plays a machine, so its entrypoint does what systemd does on one: it
# starts each daemon, restarts it when it exits (after a pause that doubles up to 30 s, so
# a daemon that cannot start does not spin), and logs each to /var/log/skiff/NAME.log and,
# prefixed with its name, to the container's output (`docker logs`).

LOG_DIR=/var/log/skiff
mkdir -p "$LOG_DIR"

say() { echo "[$(date +%H:%M:%S)] $*"; }

# supervise NAME COMMAND [ARGS...]: run COMMAND in the background for good.
supervise() {
    local name=$1
    shift
    (
        trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 0' TERM
        local delay=1
        while true; do
            say "starting $name: $*"
            local started=$SECONDS
            "$@" > >(tee -a "$LOG_DIR/$name.log" | sed -u "s/^/$name| /") 2>&1 &
            child=$!
            wait "$child" && status=0 || status=$?
            say "$name exited with status $status; restarting in ${delay}s"
            sleep "$delay" & wait $!  # a sleep in the foreground would hold off the TERM trap
            if (( SECONDS - started > 60 )); then delay=1; else delay=$(( delay * 2 > 30 ? 30 : delay * 2 )); fi
        done
    ) &
    SUPERVISED+=("$!")
}

# wait_for TIMEOUT DESCRIPTION COMMAND [ARGS...]: retry COMMAND until it succeeds.
wait_for() {
    local timeout=$1 what=$2 deadline=$(( SECONDS + $1 ))
    shift 2
    until "$@" >/dev/null 2>&1; do
        if (( SECONDS >= deadline )); then
            say "gave up after ${timeout}s waiting for $what"
            return 1
        fi
        sleep 0.2
    done
    say "$what: ready"
}

# http_ok URL: does URL answer 200? (Python: the images have no curl.)
http_ok() {
    python3 - "$1" <<'PY'
import sys, urllib.request
try:
    sys.exit(0 if urllib.request.urlopen(sys.argv[1], timeout=2).status == 200 else 1)
except OSError:
    sys.exit(1)
PY
}

# own_ip DEVICE: this container's IPv4 address on DEVICE.
own_ip() {
    ip -4 -o addr show dev "$1" | awk '{ split($4, a, "/"); print a[1]; exit }'
}

# stop_supervised: SIGTERM every supervised daemon and wait for it (on docker stop).
stop_supervised() {
    say "stopping"
    local pid
    for (( i = ${#SUPERVISED[@]} - 1; i >= 0; i-- )); do
        kill -TERM "${SUPERVISED[i]}" 2>/dev/null || true
        wait "${SUPERVISED[i]}" 2>/dev/null || true
    done
    exit 0
}

SUPERVISED=()
trap stop_supervised TERM INT
