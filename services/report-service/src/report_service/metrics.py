"""report-service's metrics (names agreed across the project; issue 9 alerts on them)."""

from prometheus_client import Counter, Gauge, Histogram

REPORTS_REQUESTED = Counter("reports_requested_total", "Reports ordered", ["kind"])
REPORTS_COMPLETED = Counter("reports_completed_total", "Reports finished (Klar)", ["kind"])
REPORTS_FAILED = Counter("reports_failed_total", "Reports that ended Misslyckad", ["kind"])
REPORT_DURATION = Histogram(
    "report_duration_seconds",
    "Time to build one report, from the worker's start to Klar",
    ["kind"],
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)
REPORTS_PENDING = Gauge("reports_pending", "Reports ordered (Beställd) and not yet Klar")
REPORT_OLDEST_PENDING_AGE = Gauge(
    "report_oldest_pending_age_seconds", "Age of the oldest report still Beställd"
)
