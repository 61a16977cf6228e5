"""The relay process's counters reach the service's /metrics: the relay reports their values
over a pipe (`counter_values`) and the service adds the difference to its own counters
(`CounterMirror`). tests/test_observability.py sees the whole way in a running case-service."""

from prometheus_client import REGISTRY

from arende_platform.metrics import OUTBOX_PUBLISHED
from arende_platform.relay_process import CounterMirror, counter_values

KEY = ("events_published", (("service", "mirror-test"), ("event_type", "CaseSubmitted")))


def _value() -> float:
    value = REGISTRY.get_sample_value(
        "events_published_total", {"service": "mirror-test", "event_type": "CaseSubmitted"}
    )
    return value or 0.0


def test_values_are_keyed_by_counter_and_labels() -> None:
    OUTBOX_PUBLISHED.labels("values-test").inc(2)
    values = counter_values()
    assert values[("outbox_published", (("service", "values-test"),))] == 2


def test_reported_counts_are_added_once() -> None:
    mirror = CounterMirror()
    before = _value()
    mirror.apply({KEY: 3})
    assert _value() - before == 3
    mirror.apply({KEY: 7})
    mirror.apply({KEY: 7})  # a repeated report adds nothing
    assert _value() - before == 7
    # A restarted relay counts from zero again; its pipe gets a mirror of its own.
    CounterMirror().apply({KEY: 2})
    assert _value() - before == 9
