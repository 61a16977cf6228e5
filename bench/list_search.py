"""Case list and search at 1M cases, through the real stack (F-LI-1..4, STACK-NOTES.md).

    uv run python bench/list_search.py                      # 1,000,000 cases, 8 users
    uv run python bench/list_search.py --count 200000 --seconds 5
    uv run python bench/list_search.py --regenerate         # throw the cached data set away

1. `ensure_dataset()` (reusable by other benchmarks) loads N realistic cases into the database
   `benchlist<N>_case` on the bench server: Swedish names, valid personnummer (Luhn), staden-
   konton, references, ~10 case types of 3 organizations, business areas, a status mix that
   follows retention (cases untouched for 180 days are archived), forms of 10–20 fields. The
   schema comes from case-service's migrations; the rows arrive by COPY
   (`copy_records_to_table`) with the list's indexes dropped and the `form_search` trigger on,
   then the indexes are built as the models declare them (which tests/test_migrations.py keeps
   equal to the migrations), then VACUUM ANALYZE. A marker table records a complete data set
   with a fingerprint of the generator, the schema and the indexes; while it matches, later
   runs skip the minutes of generation.
2. Starts case-service and the gateway as processes (their console scripts, like
   bench/ingest.py) on that database, a vhost of their own and a fresh gateway database, and
   creates staff through the admin API.
3. Measures `GET /api/v1/cases` with bearer tokens at 8 concurrent users (closed loop, no think
   time): first pages (views, sorts, filters), deep pages (a cursor far into the list), basic
   search with selective and unselective terms, detailed search. Prints p50/p95 and throughput
   beside the bare SQL of the page query (asyncpg, custom plans, one client), and 1-user
   latencies.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import concurrent.futures
import contextlib
import hashlib
import json
import random
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from harness import (
    SERVER,
    CpuMeter,
    Service,
    append_result,
    background_cores,
    checkpoint,
    cpu_seconds,
    create_env,
    free_port,
    percentile,
    print_table,
    rabbitmqctl,
    venv_script,
)
from sqlalchemy import event, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.schema import AddConstraint, CreateIndex
from stdnum import luhn

from arende_contracts.access import Actor, Grant
from arende_platform.db import migrate
from arende_platform.settings import PlatformSettings
from case_service.app import MIGRATIONS
from case_service.cases.listing import (
    CUSTOM_PLANS,
    ListParams,
    decode_cursor,
    encode_cursor,
    ordered_query,
    plan_page,
    read_page,
)
from case_service.models import CASE_ID_START, Base

GENERATOR_VERSION = 2
SEED = 20261126
TOKEN = "bench-internal-token"
ADMIN, ADMIN_PASSWORD = "benchadmin", "bench-losenord-2026"
STAFF_PASSWORD = "bench-handlaggare-losen"
GOALS_MS = {"list": 50.0, "basic": 100.0, "detailed": 250.0}

# --- the data set ---------------------------------------------------------------------------------

ORGANIZATIONS = [
    ("trafikkontoret", "Trafikkontoret"),
    ("miljoforvaltningen", "Miljöförvaltningen"),
    ("socialforvaltningen", "Socialförvaltningen"),
]
# code, name, organization, share of cases, has Verksamhetstyp, submitters (c/e/a = citizen,
# employee, anonymous)
CASE_TYPES = [
    ("flexlinjen", "Anmälan till flexlinjen", "trafikkontoret", 14, True, "c"),
    ("fardtjanst", "Ansökan om färdtjänst", "trafikkontoret", 16, True, "c"),
    ("parkering", "Parkeringstillstånd för rörelsehindrade", "trafikkontoret", 10, False, "c"),
    ("matforgiftning", "Anmäl matförgiftning", "miljoforvaltningen", 6, True, "ca"),
    ("buller", "Klagomål på buller", "miljoforvaltningen", 8, True, "ca"),
    ("livsmedel", "Registrering av livsmedelsanläggning", "miljoforvaltningen", 5, False, "c"),
    ("bistand", "Ansökan om ekonomiskt bistånd", "socialforvaltningen", 20, True, "c"),
    (
        "boendebehov",
        "Boendebehov för personer med funktionsnedsättning",
        "socialforvaltningen",
        8,
        True,
        "c",
    ),
    ("hvb-barn", "HVB barn, ungdomar och familjer", "socialforvaltningen", 5, False, "e"),
    ("jourhem", "Godkännande av jourhem", "socialforvaltningen", 8, False, "e"),
]
AREAS = [
    "Angered",
    "Askim-Frölunda-Högsbo",
    "Centrum",
    "Lundby",
    "Majorna-Linné",
    "Norra Hisingen",
    "Västra Göteborg",
    "Västra Hisingen",
    "Örgryte-Härlanda",
    "Östra Göteborg",
]
FIRST_NAMES = (
    "Anna Eva Maria Karin Sara Kristina Lena Emma Kerstin Ingrid Marie Malin Jenny Hanna Linda "
    "Annika Susanne Elin Monica Birgitta Sofia Johanna Carina Elisabeth Ulla Katarina Julia Ida "
    "Linnea Emelie Åsa Ebba Alice Maja Elsa Astrid Wilma Agnes Vera Ella Saga Selma Carin Filippa "
    "Nicolina Lars Mikael Anders Johan Erik Per Karl Peter Thomas Jan Daniel Fredrik Hans Andreas "
    "Stefan Mohamed Mats Marcus Magnus Jonas Oskar Bengt Alexander Niklas Martin Björn Göran "
    "Håkan Albin Behzad Oliver William Hugo Lucas Liam Elias Adam Noah Ali Ahmed Omar Yusuf "
    "Viktor Axel Ludvig Gustav Olle Sven Åke Örjan Leif Kjell Rolf Ulf Hassan Fatima Amira Leila"
).split()
SURNAMES = (
    "Andersson Johansson Karlsson Nilsson Eriksson Larsson Olsson Persson Svensson Gustafsson "
    "Pettersson Jonsson Jansson Hansson Bengtsson Jönsson Lindberg Jakobsson Magnusson Olofsson "
    "Lindström Lindqvist Lindgren Axelsson Berg Bergström Lundberg Lind Lundgren Lundqvist "
    "Mattsson Berglund Fredriksson Sandberg Henriksson Forsberg Sjöberg Wallin Engström Eklund "
    "Danielsson Lundin Håkansson Björk Bergman Gunnarsson Holm Wikström Samuelsson Isaksson "
    "Fransson Bergqvist Nyström Holmberg Arvidsson Löfgren Söderberg Nyberg Blomqvist Claesson "
    "Nordström Mårtensson Lundström Viklund Björklund Eliasson Pålsson Berggren Sandström Lund "
    "Nordin Ström Åberg Hermansson Ekström Holmgren Sundberg Hedlund Dahlberg Hellström Sjögren "
    "Abrahamsson Falk Öberg Andreasson Månsson Ek Blom Hosseini Mohammadi Ali Ahmed Hassan "
    "Yilmaz Nguyen Kaya Skinnars Andishmand Levin Testare Testdotter Testson"
).split()
# Few people have these: the selective name searches of the benchmark.
RARE_SURNAMES = ["Zetterqvist", "Wåhlstedt", "Quist-Ödegaard", "Fjällström-Yxell"]
WORDS = (
    "ansökan om hjälp med resa till sjukhus vårdcentral tandläkare arbete skola förskola på "
    "morgonen kvällen helgen rullstol rullator ledsagare behöver kan inte åka buss spårvagn "
    "eftersom jag har svårt att gå stå länge efter operation olycka diagnos intyg från läkare "
    "bifogas hyra el mat medicin barn familj lägenhet andrahand uppsägning skulder försörjning "
    "grannar musik fläkt byggarbetsplats natten restaurang lunch illamående kräkningar middag "
    "kyckling sallad fisk räkor servering kök hygien tillstånd adress ändrad telefon nummer "
    "handläggare beslut överklagande komplettering brådskande snarast tack vänliga hälsningar"
).split()
RARE_WORDS = ["kanelbulleallergi", "brandgulsparv", "vattenmätarfel", "stuprörsbrus"]
STATUS_MIX = [  # of cases not yet archived
    ("submitted", 10),
    ("awaiting_handling", 3),
    ("assigned", 8),
    ("in_progress", 12),
    ("awaiting_submitter", 3),
    ("complemented", 4),
    ("decided", 7),
    ("closed", 50),
    ("closed_by_user", 3),
]
# 200 caseworkers; the busiest (handlaggare01) handles ~1.5 % of all cases.
HANDLERS = [f"handlaggare{i:02d}" for i in range(1, 201)]
GROUPS = [f"grupp-{i}" for i in range(1, 6)]

COLUMNS = (
    "id submission_id case_type_id status title reference handler handler_group business_area "
    "submitter_kind submitter_personal_number submitter_account submitter_name submitter_email "
    "submitter_phone form starred correlation_id submitted_at created_at updated_at"
).split()


@dataclass
class Dataset:
    """A generated case database; `database_url` is the services' DATABASE_URL."""

    prefix: str
    count: int
    samples: dict[str, Any] = field(default_factory=dict)

    @property
    def database_url(self) -> str:
        return f"{SERVER}/{self.prefix}"

    @property
    def dsn(self) -> str:
        return f"{SERVER}/{self.prefix}_case"


def _personal_number(rng: random.Random) -> str:
    born = datetime(1930, 1, 1) + timedelta(days=rng.randrange(0, 365 * 76))
    body = f"{born:%y%m%d}{rng.randrange(0, 1000):03d}"
    return f"{born:%Y}"[:2] + body + luhn.calc_check_digit(body)


def _sentence(rng: random.Random, low: int, high: int) -> str:
    words = rng.choices(WORDS, k=rng.randint(low, high))
    if rng.random() < 0.001:
        words.insert(rng.randrange(len(words) + 1), rng.choice(RARE_WORDS))
    return " ".join(words).capitalize() + "."


def _form(
    rng: random.Random,
    first: str,
    last: str,
    pnr: str | None,
    email: str,
    phone: str,
    area: str | None,
) -> str:
    person = [
        {"key": "fornamn", "label": "Förnamn", "value": first},
        {"key": "efternamn", "label": "Efternamn", "value": last},
        {"key": "personnummer", "label": "Personnummer", "value": pnr or ""},
        {
            "key": "adress",
            "label": "Adress",
            "value": f"{rng.choice(SURNAMES)}gatan {rng.randint(1, 120)}",
        },
        {"key": "postnummer", "label": "Postnummer", "value": f"4{rng.randint(1000, 2999)}"},
        {"key": "ort", "label": "Ort", "value": "Göteborg"},
        {"key": "telefon", "label": "Telefon", "value": phone},
        {"key": "epost", "label": "E-post", "value": email},
    ]
    case = [
        {"key": "beskrivning", "label": "Beskriv ärendet", "value": _sentence(rng, 8, 40)},
        {
            "key": "datum",
            "label": "Datum",
            "value": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        },
        {"key": "stadsdel", "label": "Stadsdel", "value": area or rng.choice(AREAS)},
    ]
    extra = [
        ("antal", "Antal personer", str(rng.randint(1, 6))),
        (
            "regnr",
            "Registreringsnummer",
            f"{''.join(rng.choices('ABCDEFGHJKLMNPRSTUWXYZ', k=3))}{rng.randint(100, 999)}",
        ),
        ("atgard", "Önskad åtgärd", rng.choice(["Kontakt per telefon", "Besök", "Brev", "E-post"])),
        ("handlingar", "Bifogade handlingar", rng.choice(["Ja", "Nej"])),
        ("tidigare", "Tidigare ärende", rng.choice(["Ja", "Nej"])),
        ("tolk", "Behov av tolk", rng.choice(["Nej", "Nej", "Arabiska", "Somaliska", "Persiska"])),
        ("ovrigt", "Övriga upplysningar", _sentence(rng, 3, 15)),
    ]
    case += [
        {"key": k, "label": label, "value": v}
        for k, label, v in rng.sample(extra, rng.randint(0, len(extra)))
    ]
    consent = [
        {"key": "samtycke", "label": "Jag intygar att uppgifterna är riktiga", "value": "Ja"}
    ]
    sections = [
        {"section": "Person- och kontaktuppgifter", "fields": person},
        {"section": "Ärendet", "fields": case},
        {"section": "Övrigt", "fields": consent},
    ]
    return json.dumps(sections, ensure_ascii=False)


def case_records(
    start: int, count: int, now: datetime, seed: int = SEED
) -> Iterator[tuple[Any, ...]]:
    """Cases number `start` … `start + count - 1` as rows of COLUMNS (the same for the same
    seed and `now`)."""
    rng = random.Random(f"{seed}-{start}")
    types = [(i + 1, *ct) for i, ct in enumerate(CASE_TYPES)]
    type_weights = [t[4] for t in types]
    statuses, status_weights = zip(*STATUS_MIX, strict=True)
    handler_weights = [3] + [1] * (len(HANDLERS) - 1)
    surnames = SURNAMES + RARE_SURNAMES
    surname_weights = [100] * len(SURNAMES) + [1] * len(RARE_SURNAMES)
    span = 730 * 86400
    for n in range(start, start + count):
        type_id, _code, name, _org, _w, has_area, kinds = rng.choices(types, type_weights)[0]
        submitted = now - timedelta(seconds=rng.randrange(span))
        updated = min(submitted + timedelta(days=rng.expovariate(1 / 20)), now)
        if updated < now - timedelta(days=180):
            status = "archived"
        else:
            status = rng.choices(statuses, status_weights)[0]
        handled = status not in ("submitted", "awaiting_handling") and rng.random() < 0.9
        handler = group = None
        if status == "assigned" and rng.random() < 0.3:
            group = rng.choice(GROUPS)
        elif handled:
            handler = rng.choices(HANDLERS, handler_weights)[0]
        reference = None
        if handled and rng.random() < 0.2:
            year = submitted.year
            reference = rng.choice(
                [f"DNR {year}/{rng.randint(1, 9999)}", f"BN-{year}-{rng.randint(1, 99999):05d}"]
            )
        kind = "citizen"
        if "e" in kinds:
            kind = "employee"
        elif "a" in kinds and rng.random() < 0.3:
            kind = "anonymous"
        first, last = rng.choice(FIRST_NAMES), rng.choices(surnames, surname_weights)[0]
        pnr = account = person = email = phone = None
        if kind != "anonymous":
            person = f"{first} {last}"
            email = f"{first}.{last}@example.se".lower()
            phone = f"+4670{rng.randint(1000000, 9999999)}"
        if kind == "citizen":
            pnr = _personal_number(rng)
        elif kind == "employee":
            account = f"x{rng.randint(1, 9)}{(first[:3] + last[:4]).lower()}"
        area = rng.choice(AREAS) if has_area else None
        sid = uuid.UUID(int=rng.getrandbits(128), version=4)
        yield (
            CASE_ID_START + n,
            sid,
            type_id,
            status,
            name,
            reference,
            handler,
            group,
            area,
            kind,
            pnr,
            account,
            person,
            email,
            phone,
            _form(rng, first, last, pnr, email or "", phone or "", area),
            status == "complemented",
            str(sid),
            submitted,
            submitted,
            updated,
        )


def _fingerprint(count: int, seed: int) -> str:
    """Changes with the generator and with what the list reads: the indexes of `cases` and the
    migration that makes them and `form_search`. Later migrations of other things are applied
    to the cached data set by case-service when it starts."""
    dialect = postgresql.dialect()
    ddl = sorted(str(CreateIndex(ix).compile(dialect=dialect)) for ix in _list_indexes())
    [search_migration] = (MIGRATIONS / "versions").glob("0003_*.py")
    raw = json.dumps([GENERATOR_VERSION, count, seed, COLUMNS, ddl, search_migration.read_text()])
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _list_indexes() -> list[Any]:
    table = Base.metadata.tables["cases"]
    return sorted(table.indexes, key=lambda ix: ix.name)


async def _marker(dsn: str) -> dict[str, Any] | None:
    try:
        conn = await asyncpg.connect(dsn)
    except asyncpg.InvalidCatalogNameError:
        return None
    try:
        row = await conn.fetchrow("SELECT fingerprint, samples FROM bench_dataset WHERE complete")
    except asyncpg.UndefinedTableError:
        return None
    finally:
        await conn.close()
    return None if row is None else {"fingerprint": row[0], "samples": json.loads(row[1])}


async def _drop_database(name: str) -> None:
    conn = await asyncpg.connect(f"{SERVER}/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def _build_indexes(dsn: str, statements: list[str], log: Any) -> None:
    """Build on two connections at once (GIN builds use one core each)."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for statement in statements:
        queue.put_nowait(statement)

    async def worker() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute("SET maintenance_work_mem = '512MB'")
            while not queue.empty():
                statement = queue.get_nowait()
                started = time.monotonic()
                await conn.execute(statement)
                log(f"  {time.monotonic() - started:5.1f}s  {statement[:90]}")
        finally:
            await conn.close()

    await asyncio.gather(worker(), worker())


async def ensure_dataset(
    count: int = 1_000_000, *, seed: int = SEED, regenerate: bool = False, log: Any = print
) -> Dataset:
    """The cached data set of `count` cases, generated first if missing or out of date."""
    prefix = f"benchlist{count}"
    dataset = Dataset(prefix, count)
    fingerprint = _fingerprint(count, seed)
    marker = None if regenerate else await _marker(dataset.dsn)
    if marker is not None and marker["fingerprint"] == fingerprint:
        dataset.samples = marker["samples"]
        log(f"data set {dataset.dsn.rsplit('/', 1)[1]}: {count:,} cases (cached)")
        return dataset
    log(f"generating {count:,} cases into {prefix}_case …")
    started = time.monotonic()
    await _drop_database(f"{prefix}_case")
    url = PlatformSettings(database_url=dataset.database_url).service_database_url("case")
    await migrate(MIGRATIONS, url)
    conn = await asyncpg.connect(dataset.dsn)
    try:
        await conn.execute(
            "CREATE TABLE bench_dataset (complete boolean NOT NULL, fingerprint text NOT NULL,"
            " count integer NOT NULL, samples jsonb NOT NULL, seconds float8 NOT NULL,"
            " generated_at timestamptz NOT NULL DEFAULT now())"
        )
        for i, (code, name) in enumerate(ORGANIZATIONS, 1):
            await conn.execute(
                "INSERT INTO organizations (id, code, name) OVERRIDING SYSTEM VALUE"
                " VALUES ($1, $2, $3)",
                i,
                code,
                name,
            )
        org_ids = {code: i for i, (code, _) in enumerate(ORGANIZATIONS, 1)}
        for i, (code, name, org, _w, _a, kinds) in enumerate(CASE_TYPES, 1):
            await conn.execute(
                "INSERT INTO case_types (id, code, name, organization_id, allow_anonymous,"
                " internal) OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, $5, $6)",
                i,
                code,
                name,
                org_ids[org],
                "a" in kinds,
                "e" in kinds,
            )
        # Indexes and the foreign key are built after the load, as the models declare them.
        indexes = _list_indexes()
        for ix in indexes:
            await conn.execute(f"DROP INDEX {ix.name}")
        fk = next(
            c
            for c in Base.metadata.tables["cases"].foreign_key_constraints
            if c.referred_table.name == "case_types"
        )
        await conn.execute(f"ALTER TABLE cases DROP CONSTRAINT {fk.name}")
        now = datetime.now(UTC).replace(microsecond=0)
        samples = await _copy(conn, count, now, seed, log)
        load_s = time.monotonic() - started
        log(f"  loaded in {load_s:.0f}s; building indexes …")
        dialect = postgresql.dialect()
        await conn.execute(str(AddConstraint(fk).compile(dialect=dialect)))
        await _build_indexes(
            dataset.dsn, [str(CreateIndex(ix).compile(dialect=dialect)) for ix in indexes], log
        )
        await conn.execute(
            "SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))"
        )
        log("  VACUUM ANALYZE …")
        await conn.execute("VACUUM (ANALYZE) cases")
        seconds = time.monotonic() - started
        await conn.execute(
            "INSERT INTO bench_dataset (complete, fingerprint, count, samples, seconds)"
            " VALUES (true, $1, $2, $3, $4)",
            fingerprint,
            count,
            json.dumps(samples, ensure_ascii=False),
            seconds,
        )
        size = await conn.fetchval("SELECT pg_size_pretty(pg_total_relation_size('cases'))")
    finally:
        await conn.close()
    log(f"  generated in {seconds:.0f}s; cases with indexes: {size}")
    dataset.samples = samples
    return dataset


def generate_chunk(start: int, count: int, now: datetime, seed: int) -> list[tuple[Any, ...]]:
    """A chunk of cases (run in a worker process, so generating overlaps PostgreSQL's work)."""
    return list(case_records(start, count, now, seed))


async def _copy(
    conn: asyncpg.Connection, count: int, now: datetime, seed: int, log: Any
) -> dict[str, Any]:
    """COPY the cases chunk by chunk as worker processes make them; keep a few of their values
    as search terms."""
    samples: dict[str, list[str]] = {"pnr": [], "reference": [], "account": [], "id": []}
    chunk = 20_000
    starts = iter(range(0, count, chunk))
    loop = asyncio.get_running_loop()
    started = time.monotonic()
    done = 0
    with concurrent.futures.ProcessPoolExecutor(max_workers=2) as pool:
        pending: collections.deque[asyncio.Future[list[tuple[Any, ...]]]] = collections.deque()

        def submit() -> None:
            first = next(starts, None)
            if first is not None:
                size = min(chunk, count - first)
                pending.append(loop.run_in_executor(pool, generate_chunk, first, size, now, seed))

        for _ in range(3):
            submit()
        while pending:
            batch = await pending.popleft()
            submit()
            for record in batch[:: max(1, chunk // 4)]:
                if record[10]:
                    samples["pnr"].append(record[10])
                if record[11]:
                    samples["account"].append(record[11])
                samples["id"].append(str(record[0]))
            samples["reference"] += [r[5] for r in batch[:2000] if r[5]][:1]
            await conn.copy_records_to_table("cases", records=batch, columns=COLUMNS)
            done += len(batch)
            rate = done / (time.monotonic() - started)
            log(f"  {done:>9,} cases  {rate:,.0f}/s", end="\r")
    log("")
    return samples


# --- the stack ------------------------------------------------------------------------------------


@dataclass
class Stack:
    case_service: Service
    gateway: Service
    http: httpx.AsyncClient
    tokens: dict[str, dict[str, str]]


async def start_stack(dataset: Dataset, vhost_url: str) -> Stack:
    """case-service and the gateway on the data set; staff created through the admin API."""
    await _drop_database(f"{dataset.prefix}_gateway")
    case_port, gateway_port = free_port(), free_port()
    common = {
        "RABBITMQ_URL": vhost_url,
        "DATABASE_URL": dataset.database_url,
        "INTERNAL_API_TOKEN": TOKEN,
        "LOG_LEVEL": "WARNING",
    }
    case_service = Service(
        "case-service",
        [venv_script("case-service")],
        {**common, "CASE_SERVICE_PORT": str(case_port)},
        case_port,
    )
    gateway = Service(
        "gateway",
        [venv_script("gateway")],
        {
            **common,
            "GATEWAY_PORT": str(gateway_port),
            "CASE_SERVICE_URL": f"http://127.0.0.1:{case_port}",
            "BOOTSTRAP_ADMIN_USER": ADMIN,
            "BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
        },
        gateway_port,
    )
    case_service.start()
    gateway.start()
    http = httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{gateway_port}",
        timeout=60,
        limits=httpx.Limits(max_connections=64, max_keepalive_connections=64),
    )
    stack = Stack(case_service, gateway, http, {})
    await asyncio.gather(case_service.wait_ready(), gateway.wait_ready())

    async def token(username: str, password: str) -> dict[str, str]:
        response = await http.post(
            "/api/v1/token", data={"username": username, "password": password}
        )
        response.raise_for_status()
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    admin = await token(ADMIN, ADMIN_PASSWORD)
    everything = [{"organization": code, "role": "handler"} for code, _ in ORGANIZATIONS]
    staff = {
        # The busiest handler of the data set: Mina ärenden has a few thousand cases.
        "handlaggare01": everything,
        "handlaggare07": everything,
        # One case type only (a small scope in a big table).
        "granskare": [
            {"organization": "miljoforvaltningen", "role": "reviewer", "case_types": ["livsmedel"]}
        ],
    }
    for username, grants in staff.items():
        response = await http.post(
            "/api/v1/admin/users",
            headers=admin,
            json={
                "username": username,
                "name": username.capitalize(),
                "password": STAFF_PASSWORD,
                "grants": grants,
            },
        )
        response.raise_for_status()
    stack.tokens = {"admin": admin}
    for username in staff:
        stack.tokens[username] = await token(username, STAFF_PASSWORD)
    return stack


async def stop_stack(stack: Stack) -> None:
    with contextlib.suppress(Exception):
        await stack.http.aclose()
    for service in (stack.gateway, stack.case_service):
        service.stop()


# --- the scenarios --------------------------------------------------------------------------------


@dataclass
class Scenario:
    """One measured group of requests: variants are taken in turn by each user."""

    name: str
    goal: str  # "list", "basic" or "detailed"
    variants: list[tuple[str, dict[str, Any]]]  # (user, params)


async def _plan(dsn: str, actor: Actor, params: ListParams) -> Any:
    """The parts of a page as case-service makes them (listing.plan_page)."""
    engine = create_async_engine(dsn.replace("postgresql://", "postgresql+asyncpg://"))
    try:
        async with AsyncSession(engine) as session, session.begin():
            await session.execute(text(CUSTOM_PLANS))
            return await plan_page(session, actor, params)
    finally:
        await engine.dispose()


async def _deep_cursor(dsn: str, params: ListParams, offset: int) -> str:
    """A cursor `offset` rows into a superuser's list (found once with OFFSET, off the clock)."""
    plan = await _plan(dsn, Actor(username=ADMIN, superuser=True), params)
    query = ordered_query(params, plan.where, None, [])  # one query over every case type
    sql, args = _compile(query.limit(1).offset(offset))
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(sql, *args)
    finally:
        await conn.close()
    return encode_cursor(params.sort, params.order, False, row["sort_key"], row["id"])


def _compile(statement: Any) -> tuple[str, list[Any]]:
    done = statement.compile(
        dialect=asyncpg_dialect.dialect(), compile_kwargs={"render_postcompile": True}
    )
    return str(done), [done.params[name] for name in done.positiontup or ()]


async def scenarios(dataset: Dataset) -> list[Scenario]:
    s = dataset.samples
    all_first = [
        ("handlaggare07", {"view": "all"}),
        ("handlaggare07", {"view": "all", "sort": "title", "order": "asc"}),
        ("handlaggare07", {"view": "all", "sort": "submitter"}),
        ("handlaggare07", {"view": "all", "sort": "status", "order": "asc"}),
        ("handlaggare07", {"view": "all", "sort": "reference"}),
        ("handlaggare07", {"view": "all", "status": "any", "case_type": "bistand"}),
        ("handlaggare07", {"view": "all", "business_area": "Centrum", "sort": "submitted_at"}),
        (
            "handlaggare07",
            {"view": "all", "status": "in_progress", "organization": "trafikkontoret"},
        ),
        ("handlaggare01", {"view": "mine"}),
        ("handlaggare01", {"view": "mine", "status": "any", "sort": "title"}),
        ("admin", {"view": "archived"}),
        ("admin", {"view": "archived", "sort": "submitter", "order": "asc"}),
        ("granskare", {"view": "all", "status": "any"}),
        ("granskare", {"view": "archived", "sort": "title"}),
    ]
    deep = []
    for view, sort, order, offset in (
        ("all", "updated_at", "desc", 100_000),
        ("archived", "updated_at", "desc", 500_000),
        ("archived", "title", "asc", 400_000),
        ("archived", "submitter", "desc", 300_000),
    ):
        params = ListParams(view=view, sort=sort, order=order, limit=25)  # type: ignore[arg-type]
        cursor = await _deep_cursor(dataset.dsn, params, min(offset, dataset.count // 3))
        deep.append(("admin", {"view": view, "sort": sort, "order": order, "cursor": cursor}))
    selective = [
        ("handlaggare07", {"view": "all", "q": s["pnr"][0]}),
        ("handlaggare07", {"view": "all", "q": s["pnr"][1][-8:]}),
        ("admin", {"view": "archived", "q": s["pnr"][2][2:8] + "-" + s["pnr"][2][8:]}),
        ("handlaggare07", {"view": "all", "q": "Zetterqvist"}),
        ("admin", {"view": "archived", "q": "wåhlstedt", "status": "any"}),
        ("handlaggare07", {"view": "all", "q": s["reference"][0], "status": "any"}),
        ("handlaggare07", {"view": "all", "q": s["account"][0]}),
        ("admin", {"view": "archived", "q": s["id"][3]}),
        ("handlaggare01", {"view": "mine", "q": "Lindqvist"}),
    ]
    unselective = [
        ("handlaggare07", {"view": "all", "q": "son"}),
        ("handlaggare07", {"view": "all", "q": "berg", "sort": "title"}),
        ("admin", {"view": "archived", "q": "anna"}),
        ("handlaggare07", {"view": "all", "q": "DNR 2026", "status": "any"}),
        ("handlaggare07", {"view": "all", "q": "1955"}),
        ("handlaggare07", {"view": "all", "q": "lind", "case_type": "fardtjanst"}),
    ]
    detailed = [
        ("handlaggare07", {"view": "all", "q": "kanelbulleallergi", "detailed": True}),
        ("admin", {"view": "archived", "q": "brandgulsparv", "detailed": True}),
        ("handlaggare07", {"view": "all", "q": "rullstol spårvagn", "detailed": True}),
        ("handlaggare07", {"view": "all", "q": "fläkt", "detailed": True, "status": "any"}),
        ("admin", {"view": "archived", "q": "Zetterqvist", "detailed": True}),
        ("handlaggare07", {"view": "all", "q": "ansökan", "detailed": True}),
    ]
    return [
        Scenario("list: first page (views, sorts, filters)", "list", all_first),
        Scenario("list: deep page (cursor 100k–500k in)", "list", deep),
        Scenario("basic search: selective", "basic", selective),
        Scenario("basic search: unselective", "basic", unselective),
        Scenario("detailed search", "detailed", detailed),
    ]


async def run_load(
    stack: Stack, scenario: Scenario, users: int, seconds: float, think: float = 0.0
) -> dict[str, Any]:
    """`users` clients for `seconds`, each waiting a random 0.5–1.5 × `think` seconds between
    its requests (0: a closed loop, the next request as soon as the answer is in); latencies of
    the answers and the CPU used per request."""
    rng = random.Random(SEED)
    latencies: list[float] = []
    per_variant: dict[int, list[float]] = {}
    errors: list[str] = []
    deadline = time.monotonic() + seconds

    async def user(number: int) -> None:
        i = number
        if think:  # users come in one by one, not all in the same millisecond
            await asyncio.sleep(think * rng.uniform(0, 1))
        while time.monotonic() < deadline:
            index = i % len(scenario.variants)
            who, params = scenario.variants[index]
            i += 1
            started = time.perf_counter()
            response = await stack.http.get(
                "/api/v1/cases", params=params, headers=stack.tokens[who]
            )
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                errors.append(f"{response.status_code} {response.text[:200]}")
                continue
            latencies.append(elapsed)
            per_variant.setdefault(index, []).append(elapsed)
            if think:
                await asyncio.sleep(think * rng.uniform(0.5, 1.5))

    services = {"gateway": stack.gateway.pid, "case_service": stack.case_service.pid}
    meter = CpuMeter(pids=list(services.values()))
    meter.start()
    before = {name: cpu_seconds(pid) or 0.0 for name, pid in services.items()}
    started = time.monotonic()
    await asyncio.gather(*(user(n) for n in range(users)))
    wall = time.monotonic() - started
    used = {name: (cpu_seconds(pid) or 0.0) - before[name] for name, pid in services.items()}
    cpu = meter.stop()
    if errors:
        raise RuntimeError(f"{scenario.name}: {len(errors)} errors, first: {errors[0]}")
    rps = len(latencies) / wall
    return {
        "requests": len(latencies),
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "max_ms": max(latencies),
        "rps": rps,
        "cpu_cores": cpu,
        # CPU time per request: what other programs on the machine disturb least.
        "services_cpu_ms": 1000 * cpu.get("process", 0.0) / rps,
        "postgres_cpu_ms": 1000 * cpu.get("postgres", 0.0) / rps,
        # The same split by service (the CPU time of each process over the requests answered).
        "gateway_cpu_ms": 1000 * used["gateway"] / len(latencies),
        "case_service_cpu_ms": 1000 * used["case_service"] / len(latencies),
        "variant_p95_ms": {
            str(k): round(percentile(v, 95), 1) for k, v in sorted(per_variant.items())
        },
    }


async def single_user(stack: Stack, scenario: Scenario, rounds: int) -> dict[str, float]:
    """Latency of each variant alone (one request at a time)."""
    latencies = []
    for _ in range(rounds):
        for who, params in scenario.variants:
            started = time.perf_counter()
            response = await stack.http.get(
                "/api/v1/cases", params=params, headers=stack.tokens[who]
            )
            response.raise_for_status()
            latencies.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95)}


async def _page_statements(dsn: str, actor: Actor, params: ListParams) -> list[Any]:
    """The statements case-service runs to read a page (listing.read_page), as sent."""
    engine = create_async_engine(dsn.replace("postgresql://", "postgresql+asyncpg://"))
    sent: list[tuple[str, tuple[Any, ...]]] = []
    capture = False

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if capture:
            sent.append((statement, tuple(parameters or ())))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        async with AsyncSession(engine) as session, session.begin():
            await session.execute(text(CUSTOM_PLANS))
            plan = await plan_page(session, actor, params)
            cursor = (
                decode_cursor(params.cursor, params.sort, params.order) if params.cursor else None
            )
            capture = True
            await read_page(session, plan, params, cursor)
    finally:
        await engine.dispose()
    return sent


async def bare_sql(dataset: Dataset, scenario: Scenario, rounds: int) -> dict[str, float]:
    """The statements case-service runs to read each variant's page (listing.read_page: an
    estimate and the candidates of a search, the page), run directly with asyncpg and custom
    plans by one client: the database's share of a request."""
    pages = []
    for who, raw in scenario.variants:
        params = ListParams(**{"limit": 25, **raw})
        pages.append(await _page_statements(dataset.dsn, _bench_actor(who), params))
    conn = await asyncpg.connect(dataset.dsn)
    latencies = []
    try:
        for _ in range(rounds):
            for statements in pages:
                async with conn.transaction():
                    await conn.execute(CUSTOM_PLANS)
                    started = time.perf_counter()
                    for sql, args in statements:
                        await conn.fetch(sql, *args)
                    latencies.append((time.perf_counter() - started) * 1000)
    finally:
        await conn.close()
    return {"p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95)}


def _bench_actor(who: str) -> Actor:
    """The actor the gateway makes for a bench user (see start_stack)."""
    if who == "admin":
        return Actor(username=ADMIN, superuser=True)
    if who == "granskare":
        grant = Grant(organization="miljoforvaltningen", role="reviewer", case_types=["livsmedel"])
        return Actor(username=who, grants=[grant])
    return Actor(
        username=who, grants=[Grant(organization=code, role="handler") for code, _ in ORGANIZATIONS]
    )


# --- driver -----------------------------------------------------------------------------------


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    dataset = await ensure_dataset(args.count, regenerate=args.regenerate)
    idle = background_cores()
    if idle > 0.3:
        print(f"warning: {idle:.2f} cores busy before the run", file=sys.stderr, flush=True)
    groups = await scenarios(dataset)
    if args.only:
        groups = [g for g in groups if any(o in g.name for o in args.only)]
    env = create_env("list")
    stack: Stack | None = None
    results = []
    ok = False
    try:
        await checkpoint()
        stack = await start_stack(dataset, env.rabbitmq_url)
        print("case-service and gateway ready; warming up …", flush=True)
        for group in groups:  # every statement once, so caches and the pools are warm
            await single_user(stack, group, 1)
        for group in groups:
            load = await run_load(stack, group, args.users, args.seconds)
            paced = await run_load(stack, group, args.users, args.seconds, args.think)
            alone = await single_user(stack, group, args.rounds)
            sql = await bare_sql(dataset, group, args.rounds)
            goal = GOALS_MS[group.goal]
            row = {
                "scenario": group.name,
                "variants": len(group.variants),
                **{k: load[k] for k in ("requests", "p50_ms", "p95_ms", "max_ms", "rps")},
                "goal_p95_ms": goal,
                "met": load["p95_ms"] <= goal,
                "think_p50_ms": paced["p50_ms"],
                "think_p95_ms": paced["p95_ms"],
                "think_rps": paced["rps"],
                "think_met": paced["p95_ms"] <= goal,
                "services_cpu_ms": load["services_cpu_ms"],
                "postgres_cpu_ms": load["postgres_cpu_ms"],
                "gateway_cpu_ms": load["gateway_cpu_ms"],
                "case_service_cpu_ms": load["case_service_cpu_ms"],
                "one_user_p50_ms": alone["p50_ms"],
                "one_user_p95_ms": alone["p95_ms"],
                "sql_p50_ms": sql["p50_ms"],
                "sql_p95_ms": sql["p95_ms"],
                "cpu_cores": load["cpu_cores"],
                "variant_p95_ms": load["variant_p95_ms"],
            }
            results.append(row)
            print(
                f"{group.name}: p50 {row['p50_ms']:.1f} ms, p95 {row['p95_ms']:.1f} ms, "
                f"{row['rps']:.0f} req/s; with {args.think:g} s think time p95 "
                f"{row['think_p95_ms']:.1f} ms; 1 user p50 {row['one_user_p50_ms']:.1f} ms; "
                f"SQL p50 {row['sql_p50_ms']:.2f} ms; CPU/request services "
                f"{row['services_cpu_ms']:.1f} ms (gateway {row['gateway_cpu_ms']:.1f}, "
                f"case-service {row['case_service_cpu_ms']:.1f}), PostgreSQL "
                f"{row['postgres_cpu_ms']:.1f} ms",
                flush=True,
            )
        ok = True
    finally:
        if stack is not None:
            await stop_stack(stack)
            if ok:  # a failed run keeps the services' logs in bench/results/
                stack.case_service.discard_log()
                stack.gateway.discard_log()
        with contextlib.suppress(Exception):
            rabbitmqctl("delete_vhost", env.vhost)
        with contextlib.suppress(Exception):
            await _drop_database(f"{dataset.prefix}_gateway")
    return {
        "count": dataset.count,
        "users": args.users,
        "seconds": args.seconds,
        "think": args.think,
        "background_cores_before": round(idle, 2),
        "results": results,
        "all_met": all(r["met"] for r in results),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="cases (default 1,000,000)")
    parser.add_argument("--users", type=int, default=8, help="concurrent users (default 8)")
    parser.add_argument("--seconds", type=float, default=15, help="per scenario (default 15)")
    parser.add_argument("--rounds", type=int, default=5, help="1-user and SQL rounds")
    parser.add_argument(
        "--think",
        type=float,
        default=1.0,
        help="mean think time (s) of the users' second pass (default 1)",
    )
    parser.add_argument("--regenerate", action="store_true", help="generate the data set anew")
    parser.add_argument("--only", action="append", default=[], help="scenarios containing this")
    parser.add_argument("--label", default="", help="free text stored with the result")
    args = parser.parse_args(argv)
    result = asyncio.run(bench(args))
    result["label"] = args.label
    path = append_result("list_search", result)
    print()
    print(
        f"list_search: {result['count']:,} cases; {result['users']} users in a closed loop, then "
        f"with {result['think']:g} s think time, {result['seconds']:.0f} s each; gateway → "
        "case-service → PostgreSQL as processes; times in ms"
    )
    print_table(
        [
            {
                **r,
                "met": "yes" if r["met"] else "no",
                "think_met": "yes" if r["think_met"] else "no",
            }
            for r in result["results"]
        ],
        [
            ("scenario", "scenario"),
            ("p50_ms", "p50"),
            ("p95_ms", "p95"),
            ("rps", "req/s"),
            ("met", "met"),
            ("think_p50_ms", "think p50"),
            ("think_p95_ms", "think p95"),
            ("think_met", "met"),
            ("goal_p95_ms", "goal p95"),
            ("one_user_p50_ms", "1 user p50"),
            ("sql_p50_ms", "SQL p50"),
            ("sql_p95_ms", "SQL p95"),
            ("services_cpu_ms", "CPU/req svc"),
            ("gateway_cpu_ms", "gateway"),
            ("case_service_cpu_ms", "case-service"),
            ("postgres_cpu_ms", "CPU/req pg"),
        ],
    )
    print(f"(result appended to {path})")
    return result


if __name__ == "__main__":
    main()
