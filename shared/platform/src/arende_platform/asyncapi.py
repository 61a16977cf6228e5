"""AsyncAPI documents of each service's messages, generated with FastStream from the contracts.

The documents are committed under `docs/asyncapi/`; `tests/test_asyncapi.py` fails when one is
out of date (regenerate with `uv run python -m arende_platform.asyncapi`).
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faststream.rabbit import ExchangeType, RabbitBroker, RabbitExchange, RabbitQueue
from faststream.specification import AsyncAPI
from pydantic import BaseModel

from arende_platform.topology import EXCHANGES, QueueSpec


@dataclass(frozen=True)
class Receives:
    queue: QueueSpec
    model: type[BaseModel]
    description: str


@dataclass(frozen=True)
class Sends:
    exchange: str
    routing_key: str
    model: type[BaseModel]
    description: str


def _exchange(name: str) -> RabbitExchange:
    return RabbitExchange(name, type=ExchangeType(EXCHANGES[name]), durable=True)


def document(service: str, description: str, messages: list[Receives | Sends]) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of one service's consumed and published messages."""
    broker = RabbitBroker()
    for message in messages:
        if isinstance(message, Receives):
            for exchange, routing_key in message.queue.bindings:

                async def handler(body: Any) -> None:  # pragma: no cover - documentation only
                    return None

                handler.__annotations__["body"] = message.model
                broker.subscriber(
                    RabbitQueue(message.queue.name, durable=True, routing_key=routing_key),
                    _exchange(exchange),
                    title=f"{message.queue.name}:{routing_key}",
                    description=message.description,
                )(handler)
        else:
            broker.publisher(
                message.routing_key,
                exchange=_exchange(message.exchange),
                schema=message.model,
                title=f"{message.exchange}:{message.routing_key}",
                description=message.description,
                persist=True,
                mandatory=True,
            )
    spec = AsyncAPI(broker, title=service, version="1", description=description)
    return json.loads(spec.to_specification().to_json())


def write(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=True) + "\n")


def main() -> None:
    """Regenerate every service's document under docs/asyncapi/."""
    from importlib import import_module

    root = Path(__file__).resolve().parents[4] / "docs" / "asyncapi"
    for module in (
        "case_service",
        "notification_service",
        "report_service",
        "retention_service",
    ):
        spec = import_module(f"{module}.asyncapi")
        write(root / f"{spec.SERVICE}.json", spec.document())


if __name__ == "__main__":
    main()
