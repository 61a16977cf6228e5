"""deploy/compose.yaml (the pilot) and deploy/Dockerfile: `docker compose config` accepts the
file where Compose is installed; everywhere, its structure is checked against what the
services need, and RabbitMQ's definitions against the platform's topology."""

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from arende_platform.topology import EXCHANGES

DEPLOY = Path(__file__).parents[2] / "deploy"
SERVICES = {
    "gateway": "8000",
    "case-service": "8101",
    "notification-service": "8102",
    "report-service": "8103",
    "retention-service": "8104",
}


def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())  # type: ignore[no-any-return]


def _compose_command() -> list[str] | None:
    """Compose v2 (`docker compose`), else v1 (`docker-compose`), else None."""
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    ):
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_docker_compose_accepts_the_file(tmp_path: Path) -> None:
    command = _compose_command()
    if command is None:
        pytest.skip("docker compose is not installed here; the structure tests below still run")
    path = DEPLOY / "compose.yaml"
    if command[0].endswith("docker-compose"):
        # Compose v1 predates the top-level `name`; the rest is the same file.
        text = "\n".join(line for line in path.read_text().splitlines() if line != "name: arende")
        path = tmp_path / "compose.yaml"
        path.write_text(text)
    result = subprocess.run(
        [*command, "--project-directory", str(DEPLOY), "-f", str(path), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_the_pilot_has_every_part() -> None:
    services = compose()["services"]
    assert set(services) == {
        *SERVICES,
        "rabbitmq",
        "postgres",
        "prometheus",
        "grafana",
        "mailpit",
    }
    assert "management" in services["rabbitmq"]["image"]


def test_each_service_is_built_from_the_dockerfile_and_configured() -> None:
    services = compose()["services"]
    for name, port in SERVICES.items():
        service = services[name]
        assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
        assert service["command"] == [name]
        env = service["environment"]
        for key in ("RABBITMQ_URL", "DATABASE_URL", "INTERNAL_API_TOKEN", "BIND_HOST"):
            assert env[key], (name, key)
        assert env["RABBITMQ_URL"].startswith("amqp://arende:")
        assert env["PROBE_PORT"] == port
        assert "/readyz" in " ".join(service["healthcheck"]["test"])
        assert set(service["depends_on"]) & {"rabbitmq", "postgres", "case-service"}
    notification = services["notification-service"]["environment"]
    assert (notification["SMTP_HOST"], notification["SMTP_PORT"]) == ("mailpit", "1025")
    assert services["gateway"]["environment"]["BOOTSTRAP_ADMIN_USER"]


def test_every_variable_is_read_by_a_service(settings_variables: set[str]) -> None:
    """A misspelt variable would be ignored silently (PROBE_PORT is the healthcheck's)."""
    for name in SERVICES:
        env = set(compose()["services"][name]["environment"]) - {"PROBE_PORT"}
        assert not env - settings_variables, name


def test_mounted_files_exist() -> None:
    for name, service in compose()["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), (name, source)


def test_rabbitmq_definitions_match_the_topology() -> None:
    definitions = json.loads((DEPLOY / "rabbitmq" / "definitions.json").read_text())
    declared = {e["name"]: e["type"] for e in definitions["exchanges"]}
    assert declared == EXCHANGES
    assert all(e["durable"] for e in definitions["exchanges"])
    users = {u["name"] for u in definitions["users"]}
    assert {"arende", "eservice"} <= users
    eservice = next(p for p in definitions["permissions"] if p["user"] == "eservice")
    assert eservice["configure"] == "^$"  # e-services publish and read, never declare
    config = (DEPLOY / "rabbitmq" / "rabbitmq.conf").read_text()
    assert "load_definitions = /etc/rabbitmq/definitions.json" in config
    assert "rabbitmq_prometheus" in (DEPLOY / "rabbitmq" / "enabled_plugins").read_text()


def test_dockerfile_installs_from_the_lock_with_uv() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "COPY pyproject.toml uv.lock ./" in dockerfile
    assert "uv sync --locked --no-dev --all-packages --no-editable" in dockerfile
    assert "USER 10001" in dockerfile
    for service in SERVICES:
        package = Path(__file__).parents[2] / "services" / service / "pyproject.toml"
        assert f"COPY services/{service}/pyproject.toml" in dockerfile and package.exists()
