"""`make demo`: load demo organizations, case types, staff and cases into a running installation.

Everything goes through the public surfaces, as a real integration would: the admin API of the
gateway and submissions on the `eservice` exchange. Running it twice changes nothing (existing
organizations, case types and users are kept; submissions have fixed ids).
"""

import asyncio
import json
import os
import random
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aio_pika
import httpx
from stdnum import luhn

from arende_contracts.external import EXCHANGE_ESERVICE, ROUTING_SUBMISSION_CREATED
from arende_platform.settings import PlatformSettings

ORGANIZATIONS = [
    ("fardtjansten", "Färdtjänsten"),
    ("trafikkontoret", "Trafikkontoret"),
    ("miljoforvaltningen", "Miljöförvaltningen"),
    ("socialforvaltningen", "Socialförvaltning Centrum"),
]
CASE_TYPES: list[dict[str, Any]] = [
    {"code": "fardtjanst", "name": "Ansökan om färdtjänst", "organization": "fardtjansten"},
    {"code": "flexlinjen", "name": "Anmälan till flexlinjen", "organization": "trafikkontoret"},
    {
        "code": "matforgiftning",
        "name": "Anmäl matförgiftning",
        "organization": "miljoforvaltningen",
        "allow_anonymous": True,
    },
    {
        "code": "hvb-barn",
        "name": "HVB barn och unga - förfrågan om placering",
        "organization": "socialforvaltningen",
        "internal": True,
    },
    {
        "code": "boendebehov",
        "name": "Boendebehov - anmälan om behov av bostad",
        "organization": "socialforvaltningen",
    },
]
STAFF = [
    ("hanna", "Hanna Handläggare", [("fardtjansten", "handler"), ("trafikkontoret", "handler")]),
    ("mottagare", "Mona Mottagare", [("fardtjansten", "receiver")]),
    ("granskare", "Gustav Granskare", [("miljoforvaltningen", "reviewer")]),
    ("lokaladmin", "Lars Lokaladmin", [("socialforvaltningen", "admin")]),
]
DEMO_PASSWORD = "Demo-losenord-2026"  # noqa: S105 - demo staff only, printed to the operator
NAMES = ["Carin Testare", "Anders Svensson", "Maria Nilsson", "Erik Johansson", "Sara Lind"]
AREAS = ["Centrum", "Hisingen", "Nordost", "Sydväst", "Majorna-Linné"]


def _state(*names: str) -> dict[str, str]:
    """Values `make up` persisted (secrets and ports), for variables not in the environment."""
    state_dir = Path(os.environ.get("ARENDE_STATE_DIR", "var/local"))
    values: dict[str, str] = {}
    for name in names:
        path = state_dir / name
        if path.exists():
            for line in path.read_text().splitlines():
                key, sep, value = line.partition("=")
                if sep and not key.startswith("#"):
                    values[key.strip()] = value.strip().strip("'\"")
    return values


def _personal_number(rng: random.Random) -> str:
    born = datetime(1940, 1, 1) + timedelta(days=rng.randrange(0, 365 * 65))
    body = f"{born:%y%m%d}{rng.randrange(100, 999)}"
    return f"{born:%Y}"[:2] + body + luhn.calc_check_digit(body)


def _submission(rng: random.Random, index: int, case_type: dict[str, Any]) -> dict[str, Any]:
    name = rng.choice(NAMES)
    first, last = name.split()
    if case_type.get("internal"):
        submitter: dict[str, Any] = {
            "kind": "employee",
            "account": f"anst{index:04d}",
            "name": name,
        }
    elif case_type.get("allow_anonymous") and index % 3 == 0:
        submitter = {"kind": "anonymous"}
    else:
        submitter = {
            "kind": "citizen",
            "personal_number": _personal_number(rng),
            "name": name,
            "email": f"{first.lower()}.{last.lower()}@example.se",
        }
    submitted = datetime.now(UTC) - timedelta(minutes=rng.randrange(0, 60 * 24 * 60))
    return {
        "submission_id": str(uuid.UUID(int=0xDE30 << 64 | index)),
        "case_type": case_type["code"],
        "submitted_at": submitted.isoformat(),
        "submitter": submitter,
        "business_area": rng.choice(AREAS),
        "form": [
            {
                "section": "Person- och kontaktuppgifter",
                "fields": [
                    {"key": "fornamn", "label": "Förnamn", "value": first},
                    {"key": "efternamn", "label": "Efternamn", "value": last},
                ],
            },
            {
                "section": "Ärendet",
                "fields": [
                    {
                        "key": "beskrivning",
                        "label": "Beskrivning",
                        "value": f"Demoärende nummer {index} för {case_type['name']}.",
                    }
                ],
            },
        ],
    }


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> None:
    response = await client.post(path, json=body)
    if response.status_code not in (200, 201, 409):
        raise SystemExit(f"{path}: {response.status_code} {response.text}")


async def load(cases: int = 60) -> None:
    state = _state("env", "run.env")
    settings = PlatformSettings(
        **{
            k.lower(): v
            for k, v in state.items()
            if k.lower() in PlatformSettings.model_fields and k not in os.environ
        }
    )
    user = os.environ.get("BOOTSTRAP_ADMIN_USER") or state.get("BOOTSTRAP_ADMIN_USER", "admin")
    password = os.environ.get("BOOTSTRAP_ADMIN_PASSWORD") or state.get("BOOTSTRAP_ADMIN_PASSWORD")
    if not password:
        raise SystemExit("BOOTSTRAP_ADMIN_PASSWORD is not set (and make up has not stored one)")
    base = f"http://127.0.0.1:{settings.gateway_port}"
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        token = await client.post("/api/v1/token", data={"username": user, "password": password})
        if token.status_code != 200:
            raise SystemExit(f"login as {user} failed: {token.status_code} {token.text}")
        client.headers["authorization"] = f"Bearer {token.json()['access_token']}"
        for code, name in ORGANIZATIONS:
            await _post(client, "/api/v1/admin/organizations", {"code": code, "name": name})
        for case_type in CASE_TYPES:
            await _post(client, "/api/v1/admin/case-types", case_type)
        for username, name, grants in STAFF:
            await _post(
                client,
                "/api/v1/admin/users",
                {
                    "username": username,
                    "name": name,
                    "password": DEMO_PASSWORD,
                    "email": f"{username}@example.se",
                    "grants": [{"organization": o, "role": r} for o, r in grants],
                },
            )

    rng = random.Random(2026)  # noqa: S311 - reproducible demo data
    connection = await aio_pika.connect_robust(settings.rabbitmq_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        exchange = await channel.get_exchange(EXCHANGE_ESERVICE, ensure=False)
        for index in range(cases):
            body = _submission(rng, index, CASE_TYPES[index % len(CASE_TYPES)])
            await exchange.publish(
                aio_pika.Message(
                    json.dumps(body).encode(),
                    content_type="application/json",
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=ROUTING_SUBMISSION_CREATED,
                mandatory=True,
            )
    print(
        f"demo loaded: {len(ORGANIZATIONS)} organizations, {len(CASE_TYPES)} case types, "
        f"{len(STAFF)} staff (password {DEMO_PASSWORD}), {cases} submissions; open {base}/"
    )


def main() -> None:
    asyncio.run(load(int(sys.argv[1]) if len(sys.argv) > 1 else 60))


if __name__ == "__main__":
    main()
