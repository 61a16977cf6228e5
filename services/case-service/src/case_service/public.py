"""Messages for the citizen portal ("Mina sidor") on `eservice.public`, through the outbox.

Every writer (intake, actions, outreach, retention) stages them here, so they all leave the
same way: the routing key names the message (`case.event`, `case.created`, `case.withdrawn`)
and the case's correlation id travels with it.
"""

from typing import Any
from uuid import uuid4

from pydantic import BaseModel

from arende_contracts.external import EXCHANGE_PUBLIC
from arende_platform.outbox import message_row


def public_row(routing_key: str, payload: BaseModel, correlation: str | None) -> dict[str, Any]:
    """An outbox row publishing `payload` on the public exchange under `routing_key`."""
    return message_row(
        event_id=uuid4(),
        exchange=EXCHANGE_PUBLIC,
        routing_key=routing_key,
        event_type=routing_key,
        payload=payload,
        correlation=correlation,
    )
