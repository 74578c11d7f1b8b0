"""AmqpConnector: starts with the broker down, attaches when it appears, reconnects."""

from __future__ import annotations

import socket

import pytest
from aio_pika.abc import AbstractRobustConnection

from qbsync.events.connection import AmqpConnector
from qbsync.events.errors import BrokerUnavailable
from tests.events.conftest import make_amqp_settings
from tests.events.proxy import TcpProxy
from tests.events.support import WAIT_S, wait_until


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TestBrokerDownAtStart:
    async def test_keeps_retrying_without_raising(self) -> None:
        settings = make_amqp_settings(url=f"amqp://guest:guest@127.0.0.1:{closed_port()}/")
        connector = AmqpConnector(settings)
        await connector.start()  # returns at once
        try:
            assert not connector.is_connected
            assert not await connector.wait_connected(0.5)
            with pytest.raises(BrokerUnavailable) as caught:
                await connector.channel()
            assert caught.value.status_code == 503
            assert caught.value.retryable
        finally:
            await connector.close()
        assert not connector.is_connected

    async def test_attaches_when_the_broker_comes_back(self, proxy: TcpProxy) -> None:
        proxy.go_down()
        connector = AmqpConnector(make_amqp_settings(url=proxy.url))
        seen: list[AbstractRobustConnection] = []

        async def on_connected(connection: AbstractRobustConnection) -> None:
            seen.append(connection)

        connector.add_on_connected(on_connected)
        await connector.start()
        try:
            assert not await connector.wait_connected(0.6)  # several attempts refused
            assert seen == []
            proxy.come_back()
            assert await connector.wait_connected(WAIT_S)
            await wait_until(lambda: len(seen) == 1, "on_connected called on first connect")
            channel = await connector.channel()
            assert not channel.is_closed
            await channel.close()
        finally:
            await connector.close()


class TestReconnect:
    async def test_drop_is_noticed_and_repaired(self, proxy: TcpProxy) -> None:
        connector = AmqpConnector(make_amqp_settings(url=proxy.url))
        calls: list[AbstractRobustConnection] = []

        async def on_connected(connection: AbstractRobustConnection) -> None:
            calls.append(connection)

        await connector.start()
        try:
            assert await connector.wait_connected(WAIT_S)
            # Registered after the connection is up: still told about it.
            connector.add_on_connected(on_connected)
            await wait_until(lambda: len(calls) == 1, "late listener told")
            proxy.go_down()
            await wait_until(lambda: not connector.is_connected, "drop noticed")
            proxy.come_back()
            await wait_until(lambda: len(calls) == 2, "on_connected called after reconnect")
            assert connector.is_connected
        finally:
            await connector.close()

    async def test_failing_listener_does_not_break_the_connection(self, proxy: TcpProxy) -> None:
        connector = AmqpConnector(make_amqp_settings(url=proxy.url))

        async def broken(_: AbstractRobustConnection) -> None:
            raise RuntimeError("listener bug")

        connector.add_on_connected(broken)
        await connector.start()
        try:
            assert await connector.wait_connected(WAIT_S)
            channel = await connector.channel()
            await channel.close()
        finally:
            await connector.close()
