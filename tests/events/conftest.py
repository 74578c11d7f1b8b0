"""Fixtures for the events tests: uuid-named topology per test on the real RabbitMQ."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel, AbstractConnection

from qbsync.config import AmqpSettings
from qbsync.events.connection import AmqpConnector
from qbsync.events.outcomes import OutcomeRecorder
from qbsync.events.publisher import Publisher
from qbsync.events.runner import ConsumerRunner, Handler
from tests.amqp_cleanup import delete_topology
from tests.events.proxy import TcpProxy
from tests.events.support import WAIT_S, ListRecorder
from tests.settings import TEST_AMQP_URL, unique_amqp_names


def make_amqp_settings(**overrides: Any) -> AmqpSettings:
    values: dict[str, Any] = {
        **unique_amqp_names("qbsync-test"),
        "retry_delays_s": [0.2, 0.4],
        "reconnect_interval_s": 0.2,
        "shutdown_grace_s": 2.0,
        "prefetch": 10,
        "concurrency": 4,
    }
    values.update(overrides)
    return AmqpSettings(**values)


@pytest.fixture(scope="session")
async def broker() -> AsyncIterator[AbstractConnection]:
    """A plain connection for the tests' own declarations, publishes and inspections."""
    connection = await aio_pika.connect(TEST_AMQP_URL)
    yield connection
    await connection.close()


@pytest.fixture
async def admin(broker: AbstractConnection) -> AsyncIterator[AbstractChannel]:
    channel = await broker.channel(on_return_raises=True)
    yield channel
    if not channel.is_closed:
        await channel.close()


SettingsFactory = Callable[..., AmqpSettings]


@pytest.fixture
async def settings_factory(broker: AbstractConnection) -> AsyncIterator[SettingsFactory]:
    """Fresh uuid-named settings; their queues and exchanges are deleted after the test."""
    made: list[AmqpSettings] = []

    def factory(**overrides: Any) -> AmqpSettings:
        made.append(make_amqp_settings(**overrides))
        return made[-1]

    yield factory
    for settings in made:
        await delete_topology(broker, settings)


@pytest.fixture
def amqp_settings(settings_factory: SettingsFactory) -> AmqpSettings:
    return settings_factory()


@pytest.fixture
async def proxy() -> AsyncIterator[TcpProxy]:
    tcp = TcpProxy(TEST_AMQP_URL)
    await tcp.start()
    yield tcp
    await tcp.close()


@pytest.fixture
async def connector(amqp_settings: AmqpSettings) -> AsyncIterator[AmqpConnector]:
    amqp = AmqpConnector(amqp_settings, name="qbsync-test")
    await amqp.start()
    assert await amqp.wait_connected(WAIT_S)
    yield amqp
    await amqp.close()


@pytest.fixture
async def publisher(
    connector: AmqpConnector, amqp_settings: AmqpSettings
) -> AsyncIterator[Publisher]:
    pub = Publisher(connector, amqp_settings)
    yield pub
    await pub.close()


RunnerFactory = Callable[..., Awaitable[ConsumerRunner]]


@pytest.fixture
async def make_runner(
    connector: AmqpConnector, amqp_settings: AmqpSettings
) -> AsyncIterator[RunnerFactory]:
    """Starts runners (on the test's connector unless given another); stops them after."""
    runners: list[ConsumerRunner] = []

    async def factory(
        handler: Handler,
        recorder: OutcomeRecorder | None = None,
        *,
        on: AmqpConnector | None = None,
        settings: AmqpSettings | None = None,
    ) -> ConsumerRunner:
        runner = ConsumerRunner(
            on or connector, settings or amqp_settings, handler, recorder or ListRecorder()
        )
        runners.append(runner)
        await runner.start()
        return runner

    yield factory
    for runner in runners:
        await runner.stop(grace_s=1.0)
