"""Publish one e-service submission the way an e-service form must (docs/integration.md).

    uv run python docs/examples/publish_submission.py --case-type flexlinjen
    RABBITMQ_URL=amqp://user:pass@host:5672/vhost uv run python docs/examples/publish_submission.py

Prints the submission_id. Publishing the same body again is safe: it never creates a second case.
"""

import argparse
import asyncio
import base64
import json
import os
import uuid
from datetime import datetime, timedelta, timezone

import aio_pika

STOCKHOLM = timezone(timedelta(hours=1))


def submission(case_type: str, personal_number: str) -> dict[str, object]:
    return {
        "submission_id": str(uuid.uuid4()),
        "case_type": case_type,
        "submitted_at": datetime.now(STOCKHOLM).isoformat(timespec="seconds"),
        "submitter": {
            "kind": "citizen",
            "personal_number": personal_number,
            "name": "Carin Testare",
            "email": "carin@testare.se",
            "phone": "+46735366305",
        },
        "business_area": "Centrum",
        "form": [
            {
                "section": "Person- och kontaktuppgifter",
                "fields": [
                    {"key": "fornamn", "label": "Förnamn", "value": "Carin"},
                    {"key": "efternamn", "label": "Efternamn", "value": "Testare"},
                ],
            }
        ],
        "attachments": [
            {
                "filename": "intyg.pdf",
                "content_type": "application/pdf",
                "data_base64": base64.b64encode(b"%PDF-1.4\n%%EOF\n").decode(),
            }
        ],
    }


async def publish(url: str, body: dict[str, object]) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        # Publisher confirms + mandatory: the call fails unless the broker stored and routed it.
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        exchange = await channel.get_exchange("eservice", ensure=True)
        await exchange.publish(
            aio_pika.Message(
                json.dumps(body).encode(),
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                message_id=str(body["submission_id"]),
            ),
            routing_key="submission.created",
            mandatory=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case-type", default="flexlinjen")
    parser.add_argument("--personal-number", default="191212121212")
    args = parser.parse_args()
    url = os.environ.get("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")
    body = submission(args.case_type, args.personal_number)
    asyncio.run(publish(url, body))
    print(body["submission_id"])


if __name__ == "__main__":
    main()
