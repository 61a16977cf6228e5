#!/usr/bin/env bash
# make down: stop exactly the processes named by the pid files in the state dir: SIGTERM, wait
# up to ARENDE_STOP_TIMEOUT seconds (default 15), then SIGKILL. Never kills anything by name;
# a pid file whose pid now belongs to another program is removed without signalling it.
# RabbitMQ and PostgreSQL are left running.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STOP_TIMEOUT="${ARENDE_STOP_TIMEOUT:-15}"

if [[ ! -d "$STATE_DIR" ]]; then
    info "nothing to stop ($STATE_DIR does not exist)"
    exit 0
fi
exec 9>"$STATE_DIR/.lock"
flock -w 30 9 || die "another up.sh/down.sh is running on $STATE_DIR"

stopping=()
# Reverse start order: the gateway stops taking requests before the services behind it.
for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do
    svc="${SERVICES[i]}"
    pidf="$(pid_file "$svc")"
    [[ -e "$pidf" ]] || continue
    pid="$(read_pid "$svc")"
    if [[ -z "$pid" ]]; then
        warn "$pidf holds no pid; removing it"
        rm -f "$pidf"
    elif ! pid_is_service "$pid" "$svc"; then
        info "$svc is not running (stale pid $pid); removing its pid file"
        rm -f "$pidf"
    else
        info "stopping $svc (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        stopping+=("$svc")
    fi
done

if ((${#stopping[@]} == 0)); then
    info "no service was running"
    rm -f "$STATE_DIR/run.env"
    exit 0
fi

polls=$((STOP_TIMEOUT * 5))
while :; do
    alive=()
    for svc in "${stopping[@]}"; do
        if pid_is_service "$(read_pid "$svc")" "$svc"; then alive+=("$svc"); fi
    done
    ((${#alive[@]} == 0 || polls-- <= 0)) && break
    sleep 0.2
done

for svc in "${alive[@]}"; do
    pid="$(read_pid "$svc")"
    pgid="$(pid_group "$pid")"
    warn "$svc (pid $pid) did not stop within ${STOP_TIMEOUT}s: sending SIGKILL"
    if [[ "$pgid" == "$pid" ]]; then
        # up.sh started it with setsid, so this group holds the service and its own children.
        kill -KILL -- "-$pid" 2>/dev/null || true
    else
        kill -KILL "$pid" 2>/dev/null || true
    fi
done
for svc in "${alive[@]}"; do
    pid="$(read_pid "$svc")"
    for _ in $(seq 1 25); do
        pid_is_service "$pid" "$svc" || break
        sleep 0.2
    done
    if pid_is_service "$pid" "$svc"; then die "$svc (pid $pid) survived SIGKILL"; fi
done

for svc in "${stopping[@]}"; do
    rm -f "$(pid_file "$svc")"
    info "stopped $svc"
done
rm -f "$STATE_DIR/run.env"
