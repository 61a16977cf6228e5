"""Prometheus metrics every service exposes on /metrics."""

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests handled", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
MESSAGES_CONSUMED = Counter(
    "messages_consumed_total",
    "Messages taken from a queue, by outcome (processed, duplicate, retried, dead_lettered)",
    ["queue", "outcome"],
)
MESSAGES_REDELIVERED = Counter(
    "messages_redelivered_total", "Messages the broker delivered again", ["queue"]
)
MESSAGES_DEAD_LETTERED = Counter(
    "messages_dead_lettered_total", "Messages moved to a dead-letter queue", ["queue", "reason"]
)
BATCH_DURATION = Histogram(
    "message_batch_duration_seconds",
    "Time to handle and commit one batch of messages",
    ["queue"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
OUTBOX_PUBLISHED = Counter("outbox_published_total", "Outbox events published", ["service"])
EVENTS_PUBLISHED = Counter(
    "events_published_total",
    "Outbox messages the broker confirmed, by event type (the case status flow of the dashboard)",
    ["service", "event_type"],
)
OUTBOX_PUBLISH_FAILURES = Counter(
    "outbox_publish_failures_total",
    "Outbox publishes that were not confirmed or not routed",
    ["service", "reason"],
)
OUTBOX_BACKLOG = Gauge("outbox_backlog", "Outbox events not yet published", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "outbox_oldest_age_seconds", "Age of the oldest unpublished outbox event", ["service"]
)
DB_POOL_IN_USE = Gauge(
    "db_pool_connections_in_use", "Database connections checked out", ["service"]
)
