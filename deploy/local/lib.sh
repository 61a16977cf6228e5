#!/usr/bin/env bash
# Shared functions of the local runner (up.sh, down.sh, status.sh, the Makefile).
#
# Source it from a script, or run a whitelisted function directly:
#   bash deploy/local/lib.sh ensure_uv uv_sync ensure_infra
#
# Environment read here (all optional): RABBITMQ_URL, DATABASE_URL, BIND_HOST, *_PORT,
# ARENDE_STATE_DIR (default var/local, relative to the repository), ARENDE_INFRA_TIMEOUT
# (seconds to wait for RabbitMQ/PostgreSQL, default 90).

# shellcheck disable=SC2034  # variables here are used by the scripts that source this file

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

STATE_DIR="${ARENDE_STATE_DIR:-var/local}"
[[ "$STATE_DIR" == /* ]] || STATE_DIR="$REPO_ROOT/$STATE_DIR"

DEFAULT_RABBITMQ_URL="amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_DATABASE_URL="postgresql://postgres@127.0.0.1:5432/arende"

# Start order; down.sh stops them in reverse.
SERVICES=(case-service notification-service report-service retention-service gateway)

# The marker line put into pg_hba.conf when this runner installed PostgreSQL itself.
PG_HBA_MARKER="# arende-local: added by deploy/local (PostgreSQL installed by the local runner)"

INFRA_TIMEOUT="${ARENDE_INFRA_TIMEOUT:-90}"

# ---------------------------------------------------------------------------------------------
# Output

if [[ -t 1 ]]; then
    _C_BOLD=$'\e[1m' _C_RED=$'\e[31m' _C_YEL=$'\e[33m' _C_OFF=$'\e[0m'
else
    _C_BOLD="" _C_RED="" _C_YEL="" _C_OFF=""
fi

info() { printf '%s==>%s %s\n' "$_C_BOLD" "$_C_OFF" "$*"; }
warn() { printf '%swarning:%s %s\n' "$_C_YEL" "$_C_OFF" "$*" >&2; }
die() {
    printf '%serror:%s %s\n' "$_C_RED" "$_C_OFF" "$*" >&2
    exit 1
}

# ---------------------------------------------------------------------------------------------
# URLs and ports

# url_host URL -> host part ("" for a Unix-socket URL such as postgresql:///arende).
url_host() {
    local rest="${1#*://}"
    rest="${rest%%[/?#]*}"
    rest="${rest##*@}"
    if [[ "$rest" == \[* ]]; then
        rest="${rest#\[}"
        printf '%s\n' "${rest%%\]*}"
    else
        printf '%s\n' "${rest%%:*}"
    fi
}

# url_port URL DEFAULT -> port part, or DEFAULT when the URL has none.
url_port() {
    local rest="${1#*://}" port=""
    rest="${rest%%[/?#]*}"
    rest="${rest##*@}"
    if [[ "$rest" == \[* ]]; then
        rest="${rest#*\]}"
        [[ "$rest" == :* ]] && port="${rest#:}"
    elif [[ "$rest" == *:* ]]; then
        port="${rest##*:}"
    fi
    printf '%s\n' "${port:-$2}"
}

# is_local_host HOST: true for loopback names and for "" (Unix socket).
is_local_host() {
    case "$1" in
        "" | 127.0.0.1 | localhost | ::1 | ip6-localhost | localhost.localdomain) return 0 ;;
        *) return 1 ;;
    esac
}

# tcp_open HOST PORT: true when something accepts TCP connections there.
tcp_open() {
    local host="${1:-127.0.0.1}"
    # shellcheck disable=SC2016  # expanded by the inner bash
    timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$2" 2>/dev/null
}

# service_port SERVICE -> the port it serves HTTP on (from the environment or the default).
service_port() {
    case "$1" in
        gateway) printf '%s\n' "${GATEWAY_PORT:-8000}" ;;
        case-service) printf '%s\n' "${CASE_SERVICE_PORT:-8101}" ;;
        notification-service) printf '%s\n' "${NOTIFICATION_SERVICE_PORT:-8102}" ;;
        report-service) printf '%s\n' "${REPORT_SERVICE_PORT:-8103}" ;;
        retention-service) printf '%s\n' "${RETENTION_SERVICE_PORT:-8104}" ;;
        *) die "unknown service: $1" ;;
    esac
}

# probe_host -> the address to probe services on, given BIND_HOST.
probe_host() {
    local bind="${BIND_HOST:-127.0.0.1}"
    case "$bind" in
        0.0.0.0) printf '127.0.0.1\n' ;;
        :: | "[::]") printf '::1\n' ;;
        *) printf '%s\n' "$bind" ;;
    esac
}

# http_status HOST PORT PATH -> the HTTP status code, or 000 when nothing answered.
# Plain bash, so it works before curl is installed.
http_status() {
    local line code
    # shellcheck disable=SC2016  # expanded by the inner bash
    line="$(timeout 3 bash -c '
        exec 3<>"/dev/tcp/$0/$1" || exit 1
        printf "GET %s HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n\r\n" "$2" "$0" "$1" >&3
        IFS= read -r line <&3 && printf "%s" "$line"
    ' "$1" "$2" "$3" 2>/dev/null)" || true
    code="$(printf '%s' "$line" | awk '{print $2}')"
    [[ "$code" =~ ^[0-9]{3}$ ]] || code=000
    printf '%s\n' "$code"
}

# ---------------------------------------------------------------------------------------------
# Packages

_APT_UPDATED=0
apt_install() {
    [[ "$(id -u)" == 0 ]] || die "installing $* needs root (run as root, or install it yourself)"
    command -v apt-get >/dev/null || die "no apt-get: install $* yourself (this runner supports Debian/Ubuntu)"
    export DEBIAN_FRONTEND=noninteractive
    if [[ "$_APT_UPDATED" == 0 ]]; then
        info "apt-get update"
        apt-get update -q || die "apt-get update failed"
        _APT_UPDATED=1
    fi
    info "apt-get install -y $*"
    apt-get install -y -q "$@" || die "apt-get install $* failed"
}

# close_inherited_fds: close every descriptor above 2. Called in the subshell that execs a
# daemon, so the daemon holds no pipe of our caller (make, CI) and no lock of ours.
close_inherited_fds() {
    local fd
    for fd in /proc/self/fd/*; do
        fd="${fd##*/}"
        if [[ "$fd" =~ ^[0-9]+$ ]] && ((fd > 2)); then
            { eval "exec $fd>&-"; } 2>/dev/null || true
        fi
    done
}

# True when systemd manages this machine (then services are started through it).
have_systemd() { [[ -d /run/systemd/system ]]; }

# wait_until SECONDS DESCRIPTION COMMAND...: poll COMMAND every second.
wait_until() {
    local limit="$1" what="$2" waited=0
    shift 2
    until "$@"; do
        ((waited >= limit)) && return 1
        ((waited % 10 == 0 && waited > 0)) && info "still waiting for $what (${waited}s)"
        sleep 1
        waited=$((waited + 1))
    done
}

# ---------------------------------------------------------------------------------------------
# RabbitMQ

rabbitmq_installed() { [[ -x /usr/sbin/rabbitmq-server ]] || command -v rabbitmq-server >/dev/null; }

# ensure_rabbitmq: make RABBITMQ_URL's broker reachable; install/start it when it is local.
ensure_rabbitmq() {
    local url="${RABBITMQ_URL:-$DEFAULT_RABBITMQ_URL}" host port
    host="$(url_host "$url")"
    port="$(url_port "$url" 5672)"
    [[ -n "$host" ]] || host=127.0.0.1

    if tcp_open "$host" "$port"; then
        info "RabbitMQ is reachable at $host:$port"
        return 0
    fi
    if ! is_local_host "$host"; then
        info "waiting for remote RabbitMQ at $host:$port (not managed here)"
        wait_until "$INFRA_TIMEOUT" "RabbitMQ at $host:$port" tcp_open "$host" "$port" ||
            die "RabbitMQ at $host:$port is not reachable (RABBITMQ_URL points to a remote host, which this runner does not start)"
        return 0
    fi

    if ! rabbitmq_installed; then
        apt_install rabbitmq-server
    fi
    # Freshly installed packages may already be booting the node; wait a moment for that.
    if ! wait_until 5 "RabbitMQ" tcp_open "$host" "$port"; then
        info "starting RabbitMQ (port $port)"
        if have_systemd && [[ "$port" == 5672 ]]; then
            systemctl start rabbitmq-server || warn "systemctl start rabbitmq-server failed"
        else
            local -a envs=()
            [[ "$port" != 5672 && -z "${RABBITMQ_NODE_PORT:-}" ]] && envs=("RABBITMQ_NODE_PORT=$port")
            # The detached Erlang node must not keep our stdout or other descriptors open.
            (close_inherited_fds && exec env "${envs[@]}" rabbitmq-server -detached) </dev/null >/dev/null 2>&1 ||
                warn "rabbitmq-server -detached returned an error (a node may already be booting)"
        fi
    fi
    wait_until "$INFRA_TIMEOUT" "RabbitMQ on $host:$port" tcp_open "$host" "$port" ||
        die "RabbitMQ did not accept connections on $host:$port within ${INFRA_TIMEOUT}s; see /var/log/rabbitmq/"
    info "RabbitMQ is up on $host:$port"
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL

postgresql_installed() {
    compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null && command -v pg_ctlcluster >/dev/null
}

pg_ready() {
    # $1 may be "" (Unix socket): pg_isready then uses its default socket directory.
    if command -v pg_isready >/dev/null; then
        pg_isready -q ${1:+-h "$1"} -p "$2" -t 3 >/dev/null 2>&1
    else
        tcp_open "${1:-127.0.0.1}" "$2"
    fi
}

# pg_cluster_for_port PORT -> "VERSION CLUSTER" of the local cluster configured for PORT.
pg_cluster_for_port() {
    pg_lsclusters --no-header 2>/dev/null | awk -v p="$1" '$3 == p {print $1, $2; exit}'
}

# pg_trust_localhost VERSION CLUSTER: let the postgres user in over TCP from localhost without
# a password. Only called right after this runner installed PostgreSQL itself.
pg_trust_localhost() {
    local hba="/etc/postgresql/$1/$2/pg_hba.conf" tmp
    [[ -f "$hba" ]] || die "pg_hba.conf not found at $hba"
    grep -qF "$PG_HBA_MARKER" "$hba" && return 0
    info "allowing passwordless TCP logins of user postgres from 127.0.0.1/::1 in $hba"
    tmp="$(mktemp)"
    {
        printf '%s\n' "$PG_HBA_MARKER"
        printf 'host    all    postgres    127.0.0.1/32    trust\n'
        printf 'host    all    postgres    ::1/128         trust\n\n'
        cat "$hba"
    } >"$tmp"
    cat "$tmp" >"$hba" # keeps the file's owner and mode
    rm -f "$tmp"
}

# ensure_postgresql: make DATABASE_URL's server reachable; install/start it when it is local.
ensure_postgresql() {
    local url="${DATABASE_URL:-$DEFAULT_DATABASE_URL}" host port cluster installed_now=0
    host="$(url_host "$url")"
    port="$(url_port "$url" 5432)"

    if pg_ready "$host" "$port"; then
        info "PostgreSQL is reachable at ${host:-local socket}:$port"
        return 0
    fi
    if ! is_local_host "$host"; then
        info "waiting for remote PostgreSQL at $host:$port (not managed here)"
        wait_until "$INFRA_TIMEOUT" "PostgreSQL at $host:$port" pg_ready "$host" "$port" ||
            die "PostgreSQL at $host:$port is not reachable (DATABASE_URL points to a remote host, which this runner does not start)"
        return 0
    fi

    if ! postgresql_installed; then
        apt_install postgresql
        installed_now=1
    fi
    cluster="$(pg_cluster_for_port "$port")"
    [[ -n "$cluster" ]] ||
        die "PostgreSQL is installed but no cluster is configured for port $port (see pg_lsclusters; create one with pg_createcluster --port $port <version> main)"
    # shellcheck disable=SC2086  # "VERSION CLUSTER" is meant to split into two words
    set -- $cluster
    if [[ "$installed_now" == 1 ]]; then
        pg_trust_localhost "$1" "$2"
        # The package may have started the cluster already: make it re-read pg_hba.conf.
        pg_ctlcluster --skip-systemctl-redirect "$1" "$2" reload </dev/null >/dev/null 2>&1 || true
    fi
    if ! pg_ready "$host" "$port"; then
        info "starting PostgreSQL cluster $1/$2 (port $port)"
        if have_systemd; then
            systemctl start "postgresql@$1-$2" || warn "systemctl start postgresql@$1-$2 failed"
        else
            local out
            out="$(mktemp)"
            (close_inherited_fds && exec pg_ctlcluster --skip-systemctl-redirect "$1" "$2" start) </dev/null >"$out" 2>&1 ||
                warn "pg_ctlcluster $1 $2 start returned an error: $(cat "$out")"
            rm -f "$out"
        fi
    fi
    wait_until "$INFRA_TIMEOUT" "PostgreSQL on port $port" pg_ready "$host" "$port" ||
        die "PostgreSQL did not accept connections on ${host:-local socket}:$port within ${INFRA_TIMEOUT}s; see /var/log/postgresql/"
    info "PostgreSQL is up on ${host:-local socket}:$port"
}

ensure_infra() {
    ensure_rabbitmq
    ensure_postgresql
}

# ensure_promtool: promtool checks the Prometheus config and alert rules in `make test`
# (tests/test_deploy.py); Debian's package `prometheus` ships it.
ensure_promtool() {
    command -v promtool >/dev/null && return 0
    apt_install --no-install-recommends prometheus
    command -v promtool >/dev/null || die "package prometheus installed but promtool is not on PATH"
}

# ---------------------------------------------------------------------------------------------
# uv and the virtual environment

# After ensure_uv, "${UV[@]}" runs uv (a binary on PATH, or the module of python3).
UV=(uv)
ensure_uv() {
    if command -v uv >/dev/null; then
        UV=(uv)
        return 0
    fi
    info "uv not found: installing it with pip"
    if ! command -v python3 >/dev/null || ! python3 -m pip --version >/dev/null 2>&1; then
        apt_install python3 python3-pip python3-venv
    fi
    python3 -m pip install --quiet uv 2>/dev/null ||
        python3 -m pip install --quiet --break-system-packages uv ||
        die "could not install uv with pip; see https://docs.astral.sh/uv/getting-started/installation/"
    hash -r
    if command -v uv >/dev/null; then
        UV=(uv)
    else
        UV=(python3 -m uv)
    fi
    "${UV[@]}" --version >/dev/null || die "uv was installed but does not run"
}

# uv_sync: install the workspace (all services and dev tools) into .venv from uv.lock.
uv_sync() {
    (
        cd "$REPO_ROOT" || exit 1
        if [[ -f uv.lock ]]; then
            info "uv sync --frozen"
            "${UV[@]}" sync --frozen
        else
            warn "no uv.lock yet: running plain uv sync (this creates one)"
            "${UV[@]}" sync
        fi
    ) || die "uv sync failed"
}

# ---------------------------------------------------------------------------------------------
# Pid files

pid_file() { printf '%s/%s.pid\n' "$STATE_DIR" "$1"; }
log_file() { printf '%s/%s.log\n' "$STATE_DIR" "$1"; }

# read_pid SERVICE -> the pid in its pid file (nothing when there is no valid pid file).
read_pid() {
    local file pid
    file="$(pid_file "$1")"
    [[ -f "$file" ]] || return 0
    pid="$(head -n 1 "$file" 2>/dev/null | tr -d '[:space:]')"
    [[ "$pid" =~ ^[0-9]+$ ]] && printf '%s\n' "$pid"
    return 0
}

# pid_is_service PID SERVICE: PID is a live (non-zombie) process whose command line names
# SERVICE. Guards against pids reused by unrelated processes after a crash or reboot.
pid_is_service() {
    local pid="$1" svc="$2" stat state arg
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
    [[ -r "/proc/$pid/stat" ]] || return 0 # no procfs: kill -0 is all we can know
    stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || return 1
    state="${stat##*) }"
    [[ "${state:0:1}" != Z ]] || return 1
    while IFS= read -r -d '' arg; do
        [[ "${arg##*/}" == "$svc" ]] && return 0
    done <"/proc/$pid/cmdline"
    return 1
}

# pid_group PID -> its process group id (from procfs; empty when unknown).
pid_group() {
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
    stat="${stat##*) }"
    # After "comm)": state ppid pgrp ...
    awk '{print $3}' <<<"$stat"
}

# ---------------------------------------------------------------------------------------------
# Other small commands for the Makefile

tail_logs() {
    local -a logs=()
    local svc
    for svc in "${SERVICES[@]}"; do
        if [[ -f "$(log_file "$svc")" ]]; then logs+=("$(log_file "$svc")"); fi
    done
    ((${#logs[@]})) || die "no logs in $STATE_DIR yet (run make up first)"
    exec tail -n 20 -F "${logs[@]}"
}

# Run as a script: call the named functions in order.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    (($#)) || die "usage: $0 {ensure_uv|uv_sync|ensure_infra|ensure_rabbitmq|ensure_postgresql|ensure_promtool|tail_logs}..."
    for _cmd in "$@"; do
        case "$_cmd" in
            ensure_uv | uv_sync | ensure_infra | ensure_rabbitmq | ensure_postgresql | ensure_promtool | tail_logs) "$_cmd" ;;
            *) die "unknown command: $_cmd" ;;
        esac
    done
fi
