"""notification-service's metrics (names agreed across the project; see the common alerts)."""

from prometheus_client import Counter, Histogram

NOTIFICATIONS_SENT = Counter(
    "notifications_sent_total",
    "Notifications the SMTP server or SMS provider accepted",
    ["channel"],
)
NOTIFICATIONS_FAILED = Counter(
    "notifications_failed_total",
    "Notifications given up: refused (permanent) or transient faults until the last retry"
    " (exhausted)",
    ["channel", "reason"],
)
NOTIFICATION_RETRIES = Counter(
    "notification_retries_total",
    "Notifications put back through the delay queues after a transient fault",
    ["channel"],
)
NOTIFICATION_SEND_DURATION = Histogram(
    "notification_send_duration_seconds",
    "Time to hand one notification to the SMTP server or SMS provider",
    ["channel"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
