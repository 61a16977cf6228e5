#!/usr/bin/env bash
# make status: pid, liveness and /readyz of each service, and whether RabbitMQ and PostgreSQL
# answer. Exits 0 when every service is ready, 1 otherwise.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Probe where up.sh started them (ports may have been overridden then); the environment of
# this call wins over that file.
RUN_ENV="$STATE_DIR/run.env"
if [[ -f "$RUN_ENV" ]]; then
    while IFS='=' read -r key value; do
        case "$key" in
            BIND_HOST | GATEWAY_PORT | CASE_SERVICE_PORT | NOTIFICATION_SERVICE_PORT | REPORT_SERVICE_PORT | RETENTION_SERVICE_PORT)
                [[ -n "${!key:-}" ]] || printf -v "$key" '%s' "$value"
                ;;
        esac
    done <"$RUN_ENV"
fi

host="$(probe_host)"
all_ready=1
printf '%-22s %-8s %-6s %-6s %s\n' SERVICE PID ALIVE READYZ URL
for svc in "${SERVICES[@]}"; do
    pid="$(read_pid "$svc")"
    port="$(service_port "$svc")"
    alive=no
    if [[ -n "$pid" ]] && pid_is_service "$pid" "$svc"; then alive=yes; fi
    code="$(http_status "$host" "$port" /readyz)"
    [[ "$code" == 200 ]] || all_ready=0
    shown_host="$host"
    [[ "$shown_host" != *:* ]] || shown_host="[$shown_host]"
    printf '%-22s %-8s %-6s %-6s %s\n' "$svc" "${pid:--}" "$alive" "$code" "http://$shown_host:$port/"
done

rabbit_url="${RABBITMQ_URL:-$DEFAULT_RABBITMQ_URL}"
db_url="${DATABASE_URL:-$DEFAULT_DATABASE_URL}"
rhost="$(url_host "$rabbit_url")" rport="$(url_port "$rabbit_url" 5672)"
dhost="$(url_host "$db_url")" dport="$(url_port "$db_url" 5432)"
echo
if tcp_open "${rhost:-127.0.0.1}" "$rport"; then r=reachable; else r=UNREACHABLE; fi
if pg_ready "$dhost" "$dport"; then d=reachable; else d=UNREACHABLE; fi
printf 'RabbitMQ   %s:%s  %s\n' "${rhost:-127.0.0.1}" "$rport" "$r"
printf 'PostgreSQL %s:%s  %s\n' "${dhost:-local socket}" "$dport" "$d"
printf 'state dir  %s\n' "$STATE_DIR"

((all_ready)) || exit 1
