"""retention-service's metrics (names agreed across the project; alerts in deploy/)."""

from prometheus_client import Counter, Gauge, Histogram

ARCHIVED = Counter("retention_archived_total", "Cases archived by retention runs")
PURGED = Counter("retention_purged_total", "Cases purged by retention runs")
RUN_DURATION = Histogram(
    "retention_run_duration_seconds",
    "Duration of a retention run (dry or real)",
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800),
)
LAST_SUCCESS = Gauge(
    "retention_last_success_timestamp_seconds",
    "Unix time of the last successful real retention run",
)
RUNS = Counter("retention_runs_total", "Retention runs by outcome", ["outcome", "dry_run"])
RESIDENT_RECORDS_PURGED = Counter(
    "retention_resident_records_purged_total",
    "Resident records (expired shares, resident audit entries) purged by retention runs",
    ["kind"],
)
