"""`make demo`: load a realistic demo into a running installation, through the real paths.

Organizations, case types and staff with each role go in by the gateway's admin API; cases come
as e-service submissions on the `eservice` exchange (SPEC §4). Each case then gets a target
status and is walked there as people would: caseworkers act through the case actions API
(Fördela, Uppdatera, Referens, Avsluta, Kvittera) with their own bearer tokens, submitters act
on the bus (`citizen.complemented`, `citizen.closed`), and one case type with `archive_days` 0
is archived by a retention run. Every status of the platform ends up with cases.

Running it again changes nothing: submissions have fixed ids, citizen actions fixed action
ids, and a case's next step is derived from its current status, so a finished case has none
(and an interrupted run resumes where it stopped). A case is recognised as the demo's by its
case type, its submitter and the microseconds of its submission time (the demo's index).
"""

import asyncio
import json
import os
import random
import sys
import time
import uuid
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aio_pika
import httpx
from stdnum import luhn

from arende_contracts.external import (
    EXCHANGE_ESERVICE,
    ROUTING_CITIZEN_CLOSED,
    ROUTING_CITIZEN_COMPLEMENTED,
    ROUTING_SUBMISSION_CREATED,
)
from arende_contracts.statuses import CaseStatus, status_label
from arende_platform.settings import PlatformSettings

DEFAULT_CASES = 300
DEMO_PASSWORD = "Demo-losenord-2026"  # noqa: S105 - demo staff only, printed to the operator
# Case-type independent namespace of the demo's submission and citizen action ids.
ID_NAMESPACE = uuid.UUID("5d1f1c52-7a3e-4f0e-9d55-de30de30de30")
CONCURRENCY = 6

ORGANIZATIONS = [
    ("fardtjansten", "Färdtjänsten"),
    ("trafikkontoret", "Trafikkontoret"),
    ("miljoforvaltningen", "Miljöförvaltningen"),
    ("socialforvaltningen", "Socialförvaltning Centrum"),
]
ARCHIVED_TYPE = "parkeringstillstand-2024"
CASE_TYPES: list[dict[str, Any]] = [
    {"code": "fardtjanst", "name": "Ansökan om färdtjänst", "organization": "fardtjansten"},
    {"code": "riksfardtjanst", "name": "Ansökan om riksfärdtjänst", "organization": "fardtjansten"},
    {"code": "flexlinjen", "name": "Anmälan till flexlinjen", "organization": "trafikkontoret"},
    {
        "code": "matforgiftning",
        "name": "Anmäl matförgiftning",
        "organization": "miljoforvaltningen",
        "allow_anonymous": True,
    },
    {"code": "buller", "name": "Klagomål på buller", "organization": "miljoforvaltningen"},
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
    # An e-service of last year, archived at every retention run (archive_days 0), so that
    # Arkiverade ärenden has cases. Without a retention decision nothing is ever purged.
    {
        "code": ARCHIVED_TYPE,
        "name": "Parkeringstillstånd för rörelsehindrade (2024)",
        "organization": "trafikkontoret",
        "archive_days": 0,
    },
]
# username, name, grants (organization, role)
STAFF: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("mona.mottagare", "Mona Mottagare", [("fardtjansten", "receiver")]),
    ("hanna.handlaggare", "Hanna Handläggare", [("fardtjansten", "handler")]),
    ("henrik.holm", "Henrik Holm", [("fardtjansten", "handler"), ("trafikkontoret", "handler")]),
    ("tove.trafik", "Tove Trafik", [("trafikkontoret", "handler"), ("trafikkontoret", "receiver")]),
    ("mikael.miljo", "Mikael Miljö", [("miljoforvaltningen", "handler")]),
    ("gustav.granskare", "Gustav Granskare", [("miljoforvaltningen", "reviewer")]),
    ("sofia.social", "Sofia Social", [("socialforvaltningen", "receiver")]),
    ("selma.stod", "Selma Stöd", [("socialforvaltningen", "handler")]),
    ("sven.soder", "Sven Söder", [("socialforvaltningen", "handler")]),
    ("lars.lokaladmin", "Lars Lokaladmin", [("socialforvaltningen", "admin")]),
]
# Handler groups (F-AD-3): code, name, organization, members
GROUPS: list[tuple[str, str, str, list[str]]] = [
    ("fardtjanst-team", "Färdtjänstgruppen", "fardtjansten", ["hanna.handlaggare", "henrik.holm"]),
    ("socialt-stod", "Stödgruppen", "socialforvaltningen", ["selma.stod", "sven.soder"]),
]
FIRST = ["Carin", "Anders", "Maria", "Erik", "Sara", "Åsa", "Jöns", "Märta", "Örjan", "Lena"]
LAST = ["Testare", "Svensson", "Nilsson", "Johansson", "Lind", "Öberg", "Åkesson", "Bäck"]
AREAS = ["Centrum", "Hisingen", "Nordost", "Sydväst", "Majorna-Linné", "Askim-Frölunda-Högsbo"]
FORM_DETAILS: dict[str, list[tuple[str, str, list[str]]]] = {
    "fardtjanst": [
        ("hjalpmedel", "Hjälpmedel", ["Rullstol", "Rollator", "Käpp", "Inga hjälpmedel"]),
        (
            "beskrivning",
            "Beskriv dina svårigheter att resa med kollektivtrafiken",
            [
                "Jag har svårt att gå längre än 100 meter och kan inte stå på bussen.",
                "Efter min höftoperation kan jag inte kliva på spårvagnen själv.",
                "Jag har nedsatt syn och hittar inte till hållplatsen på egen hand.",
            ],
        ),
    ],
    "riksfardtjanst": [
        ("resmal", "Resmål", ["Malmö", "Stockholm", "Umeå", "Karlstad"]),
        ("ledsagare", "Behöver du ledsagare?", ["Ja", "Nej"]),
    ],
    "flexlinjen": [
        ("hemadress", "Hemadress", ["Storgatan 12", "Björkvägen 3", "Ängsbacken 7"]),
        ("restid", "När reser du oftast?", ["Förmiddag", "Eftermiddag", "Helger"]),
    ],
    "matforgiftning": [
        ("restaurang", "Var åt du?", ["Restaurang Hamnkrogen", "Pizzeria Söder", "Skolmatsalen"]),
        (
            "symtom",
            "Vilka symtom fick du?",
            ["Illamående och kräkningar", "Magsmärtor och diarré", "Feber och huvudvärk"],
        ),
    ],
    "buller": [
        (
            "kalla",
            "Vad låter?",
            ["Fläkt på granntaket", "Byggarbetsplats", "Musik från uteservering"],
        ),
        ("tid", "När stör det?", ["Nattetid", "Tidig morgon", "Hela dygnet"]),
    ],
    "hvb-barn": [
        ("alder", "Barnets ålder", ["13 år", "15 år", "16 år"]),
        ("behov", "Behov", ["Akut placering", "Utredning av vårdbehov", "Förlängd placering"]),
    ],
    "boendebehov": [
        ("hushall", "Hushållets storlek", ["1 vuxen", "2 vuxna och 1 barn", "1 vuxen och 3 barn"]),
        (
            "situation",
            "Beskriv din boendesituation",
            [
                "Jag bor tillfälligt hos en vän och måste flytta inom en månad.",
                "Mitt hyreskontrakt har sagts upp och jag har ingen ny bostad.",
                "Vi är fem personer i en etta och barnen har ingen egen säng.",
            ],
        ),
    ],
    ARCHIVED_TYPE: [
        ("regnummer", "Registreringsnummer", ["ABC 123", "XYZ 987", "MLK 45A"]),
        ("giltighet", "Önskad giltighetstid", ["1 år", "2 år", "3 år"]),
    ],
}

# The status each case aims for (by its index); repeated ones are the more common.
TARGETS = [
    "submitted",
    "assigned",
    "in_progress",
    "decided",
    "closed",
    "complemented",
    "awaiting_handling",
    "closed_by_user",
    "awaiting_submitter",
    "in_progress",
    "closed",
    "submitted",
    "closed",
]
# The steps leading to each target; each step leads to the status in AFTER.
PATHS: dict[str, list[str]] = {
    "submitted": [],
    "assigned": ["assign"],
    "in_progress": ["assign", "in_progress"],
    "decided": ["assign", "in_progress", "decided"],
    "closed": ["assign", "in_progress", "close"],
    "complemented": ["assign", "in_progress", "complement"],
    "awaiting_handling": ["complement", "acknowledge"],
    "closed_by_user": ["assign", "citizen_close"],
    "awaiting_submitter": ["assign", "counter_question"],
    # then a retention run archives it
    "archived": ["assign", "close"],
}
AFTER = {
    "assign": "assigned",
    "in_progress": "in_progress",
    "decided": "decided",
    "close": "closed",
    "complement": "complemented",
    "acknowledge": "awaiting_handling",
    "citizen_close": "closed_by_user",
    "counter_question": "awaiting_submitter",
}
CITIZEN_STEPS = {"complement", "citizen_close"}
# Targets only a citizen's case can reach: the submitter acts in, or answers from, the portal.
CITIZEN_TARGETS = {"complemented", "awaiting_handling", "closed_by_user", "awaiting_submitter"}


class DemoError(Exception):
    """The demo could not be loaded; the message says what failed."""


@dataclass(frozen=True)
class Installation:
    """Where the demo goes, and the administrator it signs in as."""

    gateway_url: str
    rabbitmq_url: str
    admin_user: str
    admin_password: str


@dataclass(frozen=True)
class Planned:
    """One demo case: its submission and the status it is walked to."""

    index: int
    submission: dict[str, Any]
    case_type: dict[str, Any]
    target: str

    @property
    def identity(self) -> tuple[str, str | None]:
        submitter = self.submission["submitter"]
        return submitter["kind"], submitter.get("personal_number") or submitter.get("account")


@dataclass
class Report:
    statuses: Counter[str] = field(default_factory=Counter)
    # Whether the gateway offered the counter-question, the only way to Väntar på komplettering.
    counter_questions: bool = False
    actions: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


def _personal_number(rng: random.Random) -> str:
    born = datetime(1940, 1, 1) + timedelta(days=rng.randrange(0, 365 * 65))
    body = f"{born:%y%m%d}{rng.randrange(100, 999)}"
    return f"{born:%Y}"[:2] + body + luhn.calc_check_digit(body)


def _submission(rng: random.Random, index: int, case_type: dict[str, Any]) -> dict[str, Any]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    name = f"{first} {last}"
    personal_number = _personal_number(rng)
    anonymous = rng.randrange(3) == 0
    if case_type.get("internal"):
        submitter: dict[str, Any] = {
            "kind": "employee",
            "account": f"anst{index:04d}",
            "name": name,
        }
    elif case_type.get("allow_anonymous") and anonymous:
        submitter = {"kind": "anonymous"}
    else:
        ascii_name = f"{first}.{last}".lower().translate(str.maketrans("åäö", "aao"))
        submitter = {
            "kind": "citizen",
            "personal_number": personal_number,
            "name": name,
            "email": f"{ascii_name}@example.se",
        }
    # The microseconds carry the index: how a later run recognises the case.
    minutes = rng.randrange(0, 60 * 24 * 90)
    submitted = (datetime.now(UTC) - timedelta(minutes=minutes)).replace(microsecond=index)
    details = [
        {"key": key, "label": label, "value": rng.choice(values)}
        for key, label, values in FORM_DETAILS[case_type["code"]]
    ]
    contact = [
        {"key": "fornamn", "label": "Förnamn", "value": first},
        {"key": "efternamn", "label": "Efternamn", "value": last},
        {"key": "telefon", "label": "Telefonnummer", "value": f"070-{rng.randrange(1000000):07d}"},
    ]
    return {
        "submission_id": str(uuid.uuid5(ID_NAMESPACE, f"submission/{index}")),
        "case_type": case_type["code"],
        "submitted_at": submitted.isoformat(),
        "submitter": submitter,
        "business_area": rng.choice(AREAS),
        "form": [
            {"section": "Person- och kontaktuppgifter", "fields": contact},
            {"section": "Ärendet", "fields": details},
        ],
    }


def plan(cases: int, counter_questions: bool = True) -> list[Planned]:
    """The demo's cases, the same every run (a fixed seed; ids derived from the index)."""
    rng = random.Random(2026)  # noqa: S311 - reproducible demo data
    planned = []
    for index in range(cases):
        case_type = CASE_TYPES[index % len(CASE_TYPES)]
        submission = _submission(rng, index, case_type)
        target = TARGETS[index % len(TARGETS)]
        if case_type["code"] == ARCHIVED_TYPE:
            target = "archived"
        elif target in CITIZEN_TARGETS and submission["submitter"]["kind"] != "citizen":
            target = "in_progress"
        elif target == "awaiting_submitter" and not counter_questions:
            target = "in_progress"
        planned.append(Planned(index, submission, case_type, target))
    return planned


def next_step(target: str, status: str) -> str | None:
    """The step that moves a case on from `status` towards `target` (None: nothing to do)."""
    steps = PATHS[target]
    reached = ["submitted", *(AFTER[s] for s in steps)]
    if status not in reached:
        return None  # at the target, past it (archived) or moved by someone else
    position = reached.index(status)
    return steps[position] if position < len(steps) else None


def _staff_of(organization: str, role: str) -> list[str]:
    return [u for u, _, grants in STAFF if (organization, role) in grants]


class Loader:
    """Walks the demo's cases to their targets; one instance per run."""

    def __init__(self, target: Installation) -> None:
        self.target = target
        self.by_key: dict[tuple[int, str, tuple[str, str | None]], Planned] = {}
        self.tokens: dict[str, dict[str, str]] = {}
        self.report = Report()
        self.slots = asyncio.Semaphore(CONCURRENCY)

    async def _token(self, http: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
        response = await http.post(
            "/api/v1/token", data={"username": username, "password": password}
        )
        if response.status_code != 200:
            raise DemoError(f"login as {username} failed: {response.status_code} {response.text}")
        return {"authorization": f"Bearer {response.json()['access_token']}"}

    async def setup(self, http: httpx.AsyncClient) -> bool:
        """Organizations, case types, staff and handler groups (kept when they exist); True
        when the gateway offers the counter-question (Väntar på komplettering)."""
        admin = await self._token(http, self.target.admin_user, self.target.admin_password)
        self.tokens["admin"] = admin

        async def post(path: str, body: dict[str, Any]) -> None:
            response = await http.post(path, json=body, headers=admin)
            if response.status_code not in (200, 201, 409):
                raise DemoError(f"{path}: {response.status_code} {response.text}")

        for code, name in ORGANIZATIONS:
            await post("/api/v1/admin/organizations", {"code": code, "name": name})
        for case_type in CASE_TYPES:
            await post("/api/v1/admin/case-types", {"two_way": True, **case_type})
        for username, name, grants in STAFF:
            await post(
                "/api/v1/admin/users",
                {
                    "username": username,
                    "name": name,
                    "password": DEMO_PASSWORD,
                    "email": f"{username}@example.se",
                    "grants": [{"organization": o, "role": r} for o, r in grants],
                },
            )
        for code, name, organization, members in GROUPS:
            await post(
                "/api/v1/admin/groups",
                {"code": code, "name": name, "organization": organization, "members": members},
            )
        logins = await asyncio.gather(
            *(self._token(http, username, DEMO_PASSWORD) for username, _, _ in STAFF)
        )
        self.tokens |= {username: t for (username, _, _), t in zip(STAFF, logins, strict=True)}
        # Motfråga (F-AD-8) came after the other actions: use it where the API has it.
        schema = (await http.get("/api/v1/openapi.json")).json()
        operation = schema["paths"]["/api/v1/cases/{case_id}/update"]["post"]
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        return "kind" in body.get("properties", {})

    def use(self, planned: list[Planned]) -> None:
        self.by_key = {(p.index, p.case_type["code"], p.identity): p for p in planned}

    async def publish(self, routing_key: str, bodies: list[dict[str, Any]]) -> None:
        """Messages on the e-service exchange, as the forms and the citizen portal send them."""
        if not bodies:
            return
        connection = await aio_pika.connect(self.target.rabbitmq_url)
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.get_exchange(EXCHANGE_ESERVICE, ensure=False)
            await asyncio.gather(
                *(
                    exchange.publish(
                        aio_pika.Message(
                            json.dumps(body).encode(),
                            content_type="application/json",
                            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        ),
                        routing_key=routing_key,
                        mandatory=True,
                    )
                    for body in bodies
                )
            )

    async def cases(self, http: httpx.AsyncClient) -> list[tuple[Planned, dict[str, Any]]]:
        """The demo's cases as they are now, matched to their plan."""
        found = []
        for view in ("all", "archived"):
            cursor = None
            while True:
                params: dict[str, Any] = {"view": view, "status": "any", "sort": "id"}
                params |= {"order": "asc", "limit": 200}
                if cursor:
                    params["cursor"] = cursor
                response = await http.get(
                    "/api/v1/cases", params=params, headers=self.tokens["admin"]
                )
                response.raise_for_status()
                page = response.json()
                for item in page["items"]:
                    planned = self._match(item)
                    if planned is not None:
                        found.append((planned, item))
                cursor = page.get("next_cursor")
                if not cursor:
                    break
        return found

    def _match(self, item: dict[str, Any]) -> Planned | None:
        submitted = datetime.fromisoformat(item["submitted_at"])
        submitter = item["submitter"]
        identity = (submitter["kind"], submitter.get("personal_number") or submitter.get("account"))
        return self.by_key.get((submitted.microsecond, item["case_type"], identity))

    def _handler_for(self, planned: Planned) -> str:
        handlers = _staff_of(planned.case_type["organization"], "handler")
        return handlers[planned.index % len(handlers)]

    def _distributor_for(self, planned: Planned) -> str:
        organization = planned.case_type["organization"]
        receivers = _staff_of(organization, "receiver")
        return (receivers or _staff_of(organization, "handler"))[0]

    async def act(
        self, http: httpx.AsyncClient, planned: Planned, item: dict[str, Any], step: str
    ) -> None:
        """One caseworker step through the case actions API, as the staff member who takes it."""
        index, case_id = planned.index, item["id"]
        handler = item["handler"] or self._handler_for(planned)
        reference = f"DNR 2026/{1000 + index}"
        calls: dict[str, tuple[str, str, dict[str, Any] | None]] = {
            "assign": (
                self._distributor_for(planned),
                "assign",
                {"handler": self._handler_for(planned)},
            ),
            "in_progress": (
                handler,
                "update",
                {
                    "status": "in_progress",
                    "title": "Vi handlägger ditt ärende",
                    "external_message": "Hej! Vi har tagit emot ditt ärende och börjat "
                    "handlägga det. Du får besked inom fyra veckor.",
                    "internal_message": "Kontrollera uppgifterna mot folkbokföringen.",
                },
            ),
            "decided": (
                handler,
                "update",
                {
                    "status": "decided",
                    "title": "Beslut i ditt ärende",
                    "external_message": "Din ansökan är beviljad. Beslutet skickas även med post.",
                    "internal_message": "Beslut fattat enligt delegationsordningen.",
                },
            ),
            "close": (
                handler,
                "close",
                {
                    "reference": reference,
                    "external_message": "Ditt ärende är klart. Beslutet finns i Mina sidor.",
                    "internal_message": "Ärendet är färdigbehandlat.",
                },
            ),
            "counter_question": (
                handler,
                "update",
                {
                    "kind": "counter_question",
                    "title": "Vi behöver mer information",
                    "external_message": "Kan du komplettera med ett läkarintyg som beskriver "
                    "dina behov?",
                },
            ),
            "acknowledge": (self._handler_for(planned), "acknowledge", None),
            "reference": (self._distributor_for(planned), "reference", {"reference": reference}),
        }
        username, action, body = calls[step]
        async with self.slots:
            try:
                response = await http.post(
                    f"/api/v1/cases/{case_id}/{action}", json=body, headers=self.tokens[username]
                )
            except httpx.TimeoutException:
                response = httpx.Response(504)
        if response.status_code in (502, 503, 504):
            # Busy: the step may or may not have been applied. The next round reads the
            # case's status again and repeats it only if it was not.
            self.report.actions["retried"] += 1
            return
        if response.status_code != 200:
            raise DemoError(
                f"{step} of case {case_id} as {username}: {response.status_code} {response.text}"
            )
        self.report.actions[step] += 1

    def citizen_action(self, planned: Planned, step: str) -> tuple[str, dict[str, Any]]:
        messages = {
            "complement": (
                ROUTING_CITIZEN_COMPLEMENTED,
                "Här kommer kompletteringen ni bad om. Läkarintyget skickas med posten.",
            ),
            "citizen_close": (
                ROUTING_CITIZEN_CLOSED,
                "Jag har löst det på annat sätt och behöver inte längre hjälp. Tack!",
            ),
        }
        routing_key, message = messages[step]
        return routing_key, {
            "action_id": str(uuid.uuid5(ID_NAMESPACE, f"{step}/{planned.index}")),
            "submission_id": planned.submission["submission_id"],
            "message": message,
        }

    async def walk(self, http: httpx.AsyncClient, deadline: float) -> list[dict[str, Any]]:
        """Rounds of steps until every case is at its target; the final items."""
        while True:
            found = await self.cases(http)
            caseworker: list[Coroutine[Any, Any, None]] = []
            citizen: dict[str, list[dict[str, Any]]] = {}
            for planned, item in found:
                step = next_step(planned.target, item["status"])
                if (
                    step is None
                    and item["status"] in ("assigned", "in_progress", "decided")
                    and item["status"] == planned.target
                    and planned.index % 3 == 0
                    and not item["reference"]
                ):
                    step = "reference"  # Referens on every third open case
                if step is None:
                    continue
                if step in CITIZEN_STEPS:
                    routing_key, body = self.citizen_action(planned, step)
                    citizen.setdefault(routing_key, []).append(body)
                else:
                    caseworker.append(self.act(http, planned, item, step))
            if not caseworker and not citizen:
                return [item for _, item in found]
            if time.monotonic() > deadline:
                raise DemoError("the demo's cases did not reach their statuses in time")
            async with asyncio.TaskGroup() as group:  # one failure cancels the rest
                for step_call in caseworker:
                    group.create_task(step_call)
            for routing_key, bodies in citizen.items():
                await self.publish(routing_key, bodies)
                self.report.actions[routing_key] += len(bodies)
            if citizen and not caseworker:
                await asyncio.sleep(0.3)  # case-service applies them from its queue

    async def archive(self, http: httpx.AsyncClient, items: list[dict[str, Any]]) -> bool:
        """A retention run (the nightly one, started by the administrator) when closed cases of
        the archived type wait."""
        waiting = [i for i in items if i["case_type"] == ARCHIVED_TYPE and i["status"] == "closed"]
        if not waiting:
            return False
        response = await http.post(
            "/api/v1/admin/retention/run",
            json={"dry_run": False},
            headers=self.tokens["admin"],
            timeout=120,
        )
        if response.status_code not in (200, 409):
            raise DemoError(f"retention run: {response.status_code} {response.text}")
        return True


async def load(target: Installation, cases: int = DEFAULT_CASES, timeout: float = 120) -> Report:
    """Load the demo into `target`; the statuses its cases ended in and the steps it took."""
    started = time.monotonic()
    deadline = started + timeout
    async with httpx.AsyncClient(base_url=target.gateway_url, timeout=30) as http:
        loader = Loader(target)
        loader.report.counter_questions = await loader.setup(http)
        planned = plan(cases, loader.report.counter_questions)
        loader.use(planned)
        await loader.publish(ROUTING_SUBMISSION_CREATED, [p.submission for p in planned])

        async def all_arrived() -> list[tuple[Planned, dict[str, Any]]]:
            while True:
                found = await loader.cases(http)
                if len(found) >= len(planned) or time.monotonic() > deadline:
                    return found
                await asyncio.sleep(0.3)

        found = await all_arrived()
        if len(found) < len(planned):
            raise DemoError(f"only {len(found)} of {len(planned)} submissions became cases")
        items = await loader.walk(http, deadline)
        if await loader.archive(http, items):
            items = await loader.walk(http, deadline)
        loader.report.statuses = Counter(i["status"] for i in items)
        loader.report.seconds = time.monotonic() - started
        return loader.report


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


def installation_from_environment() -> Installation:
    """The installation `make up` started (its state files), or the one the environment names."""
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
        raise DemoError("BOOTSTRAP_ADMIN_PASSWORD is not set (and make up has not stored one)")
    return Installation(
        gateway_url=f"http://127.0.0.1:{settings.gateway_port}",
        rabbitmq_url=settings.rabbitmq_url,
        admin_user=user,
        admin_password=password,
    )


def _print_summary(target: Installation, report: Report) -> None:
    print(f"Demo loaded in {report.seconds:.1f} s: {sum(report.statuses.values())} cases")
    for status in CaseStatus:
        print(f"  {status_label(status):<28} {report.statuses.get(status.value, 0):>5}")
    steps = ", ".join(f"{k} {v}" for k, v in sorted(report.actions.items())) or "none (loaded)"
    print(f"Steps taken this run: {steps}")
    print(f"\nOpen {target.gateway_url}/ and sign in (password {DEMO_PASSWORD} for everyone):")
    for username, name, grants in STAFF:
        roles = ", ".join(f"{role} i {organization}" for organization, role in grants)
        print(f"  {username:<20} {name:<20} {roles}")
    print(f"  {target.admin_user:<20} {'Administratör':<20} allt (bootstrap-lösenordet)")


def main() -> None:
    cases = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CASES
    try:
        target = installation_from_environment()
        _print_summary(target, asyncio.run(load(target, cases)))
    except DemoError as exc:
        raise SystemExit(f"make demo: {exc}") from None


if __name__ == "__main__":
    main()
