"""What the checks of deploy/ compare against: the metric families the code defines."""

import importlib
import importlib.util
import re
from collections.abc import Callable

import pytest
from prometheus_client import REGISTRY

SERVICE_PACKAGES = (
    "case_service",
    "gateway",
    "notification_service",
    "report_service",
    "retention_service",
)
# Families from outside the services: Prometheus's own `up`, the Python client's process
# collector, and RabbitMQ's plugin (job rabbitmq in deploy/prometheus/prometheus.yml).
EXTERNAL = {"up", "process_start_time_seconds"}
EXTERNAL_PREFIXES = ("rabbitmq_",)
# PromQL words that look like names but are not metrics (functions are followed by "(").
_KEYWORDS = {"and", "or", "unless", "offset", "bool", "by", "without", "on", "ignoring"}
_HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")


def _defined_families() -> dict[str, str]:
    """Exposed name → type of every metric the platform and the services register."""
    importlib.import_module("arende_platform.metrics")
    for package in SERVICE_PACKAGES:
        if importlib.util.find_spec(f"{package}.metrics") is not None:
            importlib.import_module(f"{package}.metrics")
    families = {}
    for metric in REGISTRY.collect():
        name = f"{metric.name}_total" if metric.type == "counter" else metric.name
        families[name] = metric.type
    return families


@pytest.fixture(scope="session")
def defined_families() -> dict[str, str]:
    return _defined_families()


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads."""
    expr = re.sub(r'"[^"]*"', "", expr)  # label values
    expr = re.sub(r"\{[^}]*\}", "", expr)  # matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # ranges
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    names = set()
    for match in re.finditer(r"(?<![\w.])([a-zA-Z_:][\w:]*)(\s*\()?", expr):
        word, call = match.groups()
        if not call and word not in _KEYWORDS:
            names.add(word)
    return names


@pytest.fixture(scope="session")
def unknown_metrics(defined_families: dict[str, str]) -> Callable[[str], set[str]]:
    """The names an expression reads that no code defines (empty when all exist)."""

    def unknown(expr: str) -> set[str]:
        missing = set()
        for name in metric_names(expr):
            if name in defined_families or name in EXTERNAL or name.startswith(EXTERNAL_PREFIXES):
                continue
            base = next((name[: -len(s)] for s in _HISTOGRAM_SUFFIXES if name.endswith(s)), None)
            if base is not None and defined_families.get(base) == "histogram":
                continue
            missing.add(name)
        return missing

    return unknown


def _settings_variables() -> set[str]:
    """Environment variables some service reads (its settings class's fields, upper-case)."""
    from pydantic_settings import BaseSettings

    from arende_platform.settings import PlatformSettings

    names = set(PlatformSettings.model_fields)
    for package in SERVICE_PACKAGES:
        if importlib.util.find_spec(f"{package}.settings") is None:
            continue
        module = importlib.import_module(f"{package}.settings")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseSettings):
                names |= set(value.model_fields)
    return {name.upper() for name in names}


@pytest.fixture(scope="session")
def settings_variables() -> set[str]:
    return _settings_variables()
