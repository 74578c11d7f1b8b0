"""Parked messages: one tenant's browse never hides another's; who may do what (#12 item 6)."""

from __future__ import annotations

import asyncio

import aio_pika
import pytest

from qbsync.events import headers as h
from qbsync.events.topology import declare_topology
from tests.tokens import auth_headers, make_jwt

URL = "/api/quickbooks/dead-letters"


async def _park(app, organization_id: int, count: int) -> None:
    """Parked copies as the runner leaves them, straight into the parking queue."""
    amqp = app.state.resources.settings.amqp
    connection = await aio_pika.connect(amqp.url)
    async with connection:
        channel = await connection.channel()
        await declare_topology(channel, amqp)
        for n in range(count):
            await channel.default_exchange.publish(
                aio_pika.Message(
                    b'{"invoiceId": 1}',
                    message_id=f"parked-{organization_id}-{n}",
                    headers={
                        h.PARK_REASON: "permanent_error",
                        h.ORGANIZATION_ID: organization_id,
                        h.SOURCE_QUEUE: amqp.work_queue("invoice.created"),
                    },
                ),
                routing_key=amqp.parking_queue,
            )


class TestConcurrentBrowsing:
    async def test_one_tenant_polling_never_hides_anothers_messages(self, client, app) -> None:
        busy, quiet = 5_100_001, 5_100_002
        await _park(app, busy, 60)
        await _park(app, quiet, 5)

        async def count(org: int) -> int:
            response = await client.get(URL, headers=auth_headers(org))
            assert response.status_code == 200
            return int(response.json()["count"])

        for _ in range(5):
            counts = await asyncio.gather(count(busy), count(quiet), count(busy), count(quiet))
            assert counts == [60, 5, 60, 5]


class TestWhoMayDoWhat:
    async def test_a_tenant_may_not_discard_or_replay_everything(self, client, app) -> None:
        await _park(app, 5_100_003, 1)
        tenant = auth_headers(5_100_003)
        [letter] = (await client.get(URL, headers=tenant)).json()["items"]
        assert (
            await client.delete(f"{URL}/{letter['messageId']}", headers=tenant)
        ).status_code == 403
        assert (await client.post(f"{URL}/replay", headers=tenant)).status_code == 403
        assert (await client.get(URL, headers=tenant)).json()["count"] == 1

    @pytest.mark.parametrize("method", ["DELETE", "REPLAY_ALL"])
    async def test_an_operator_may(self, client, app, method: str) -> None:
        await _park(app, 5_100_004, 1)
        # Operators name the organization (without one they act on every organization's).
        operator = {
            "Authorization": f"Bearer {make_jwt(None, roles=['QBSYNC_OPERATOR'])}",
            "X-Organization-Id": "5100004",
        }
        [letter] = (await client.get(URL, headers=operator)).json()["items"]
        if method == "DELETE":
            response = await client.delete(f"{URL}/{letter['messageId']}", headers=operator)
        else:
            response = await client.post(f"{URL}/replay", headers=operator)
        assert response.status_code == 200, response.text
        assert (await client.get(URL, headers=operator)).json()["count"] == 0
