"""`make demo` against a whole installation: every status gets cases through the real paths,
and a second run changes nothing."""

from typing import Any

import pytest

from arende_contracts.statuses import CaseStatus
from arende_platform.testing import TestEnvironment
from gateway.demo import Installation, load

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]


async def test_demo_puts_cases_in_every_status_and_is_idempotent(
    installation: dict[str, Any], skeleton_env: TestEnvironment
) -> None:
    admin, password = installation["admin"]
    target = Installation(
        gateway_url=installation["gateway"],
        rabbitmq_url=skeleton_env.rabbitmq_url,
        admin_user=admin,
        admin_password=password,
    )
    first = await load(target, cases=40, timeout=120)
    assert sum(first.statuses.values()) == 40
    expected = {s.value for s in CaseStatus}
    if not first.counter_questions:  # an installation without motfråga (F-AD-8)
        expected.discard(CaseStatus.AWAITING_SUBMITTER.value)
    missing = expected - set(first.statuses)
    assert missing == set(), (missing, first.statuses, first.actions)
    assert first.actions["close"] and first.actions["reference"] and first.actions["acknowledge"]

    again = await load(target, cases=40, timeout=60)
    assert again.statuses == first.statuses
    assert not again.actions  # nothing left to do
