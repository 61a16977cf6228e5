"""deploy/prometheus: the scrape config and alert rules are valid, and the rules' unit tests
(alerts_test.yml: each alert fires on its situation and stays quiet otherwise) pass."""

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

PROMETHEUS = Path(__file__).parents[2] / "deploy" / "prometheus"
SERVICES = {
    "gateway",
    "case-service",
    "notification-service",
    "report-service",
    "retention-service",
}


def promtool() -> str:
    """promtool's path; a missing one skips locally and fails in CI (.ci/run installs it)."""
    path = shutil.which("promtool")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("promtool missing in CI: .ci/run installs the Debian package prometheus")
        pytest.skip("promtool not installed (make test installs Debian's package prometheus)")
    return path


def run(*args: str) -> str:
    result = subprocess.run(
        [promtool(), *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=120
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


def test_config_is_valid_and_loads_the_rules() -> None:
    output = run("check", "config", "prometheus.yml")
    assert "1 rule files found" in output


def test_rules_are_valid() -> None:
    run("check", "rules", "alerts.yml")


def test_rule_unit_tests_pass() -> None:
    assert "SUCCESS" in run("test", "rules", "alerts_test.yml")


def test_every_service_is_scraped_under_its_own_job() -> None:
    text = (PROMETHEUS / "prometheus.yml").read_text()
    for service in SERVICES:
        assert f"job_name: {service}\n" in text, service
    service_down = (PROMETHEUS / "alerts.yml").read_text().split("alert: ServiceDown", 1)[1]
    watched = service_down.split('job=~"', 1)[1].split('"', 1)[0]
    assert set(watched.split("|")) == SERVICES


def test_every_alert_has_a_unit_test_and_a_runbook_section() -> None:
    rules = (PROMETHEUS / "alerts.yml").read_text()
    tests = (PROMETHEUS / "alerts_test.yml").read_text()
    operations = (Path(__file__).parents[2] / "docs" / "operations.md").read_text()
    alerts = [line.split(":", 1)[1].strip() for line in rules.splitlines() if "- alert:" in line]
    runbooks = [line.split("#", 1)[1].strip() for line in rules.splitlines() if "runbook:" in line]
    assert len(alerts) >= 7
    assert len(runbooks) == len(alerts)
    for alert in alerts:
        assert f"alertname: {alert}\n" in tests, alert
    for anchor in runbooks:
        assert f'<a id="{anchor}"></a>' in operations, anchor


def test_alerts_read_defined_metrics(unknown_metrics: Callable[[str], set[str]]) -> None:
    groups = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"]
    for group in groups:
        for rule in group["rules"]:
            assert not unknown_metrics(rule["expr"]), (rule["alert"], rule["expr"])
