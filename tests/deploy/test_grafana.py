"""deploy/grafana: the provisioned dashboard is valid JSON, every panel has a query on the
provisioned datasource, and every query reads metric families the code defines (and that
promtool parses, when it is installed)."""

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

GRAFANA = Path(__file__).parents[2] / "deploy" / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "arende-operations.json"
# What the issue asks the dashboard to show, as row titles.
ROWS = {"Overview", "Queues and messaging", "Errors and latency", "Notifications", "Reports"}


def panels() -> list[dict[str, Any]]:
    return [p for p in json.loads(DASHBOARD.read_text())["panels"] if p["type"] != "row"]


def test_dashboard_is_valid_and_provisioned() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] and dashboard["title"]
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    rows = {p["title"] for p in dashboard["panels"] if p["type"] == "row"}
    assert ROWS <= rows and any(r.startswith("Retention") for r in rows)
    provider = yaml.safe_load((GRAFANA / "provisioning/dashboards/arende.yml").read_text())
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    source = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yml").read_text())
    uid = source["datasources"][0]["uid"]
    for panel in panels():
        assert panel["datasource"]["uid"] == uid, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == uid
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]


def test_every_query_reads_defined_metrics(unknown_metrics: Callable[[str], set[str]]) -> None:
    for panel in panels():
        for target in panel["targets"]:
            assert not unknown_metrics(target["expr"]), (panel["title"], target["expr"])


def test_every_query_parses(tmp_path: Path) -> None:
    """promtool parses each query as a recording rule (skipped without promtool)."""
    promtool = shutil.which("promtool")
    if promtool is None:
        return  # tests/deploy/test_prometheus.py reports a missing promtool
    exprs = [t["expr"] for p in panels() for t in p["targets"]]
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"dashboard:query{i}", "expr": e} for i, e in enumerate(exprs)
                ],
            }
        ]
    }
    path = tmp_path / "dashboard_rules.yml"
    path.write_text(yaml.safe_dump(rules))
    result = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
