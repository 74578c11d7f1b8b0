"""Sample events: what ``qbsync publish`` sends reaches the handler intact, in order."""

from __future__ import annotations

import pytest

from qbsync.config import AmqpSettings
from qbsync.events.errors import BrokerUnavailable
from qbsync.events.samples import publish_samples_to, sample_events
from qbsync.events.schemas import CustomerActivated, InvoiceCreated, PaymentReceived
from tests.events.conftest import RunnerFactory, make_amqp_settings
from tests.events.support import ScriptedHandler, wait_until


class TestSampleEvents:
    def test_one_of_each_type_that_reference_each_other(self) -> None:
        customer, invoice, payment = sample_events(42, customer_id=7, invoice_id=8, payment_id="9")
        assert isinstance(customer, CustomerActivated)
        assert isinstance(invoice, InvoiceCreated)
        assert isinstance(payment, PaymentReceived)
        assert {e.organization_id for e in (customer, invoice, payment)} == {42}
        assert invoice.customer_id == customer.customer_id == payment.customer_id == 7
        assert payment.invoice_id == invoice.invoice_id == 8
        assert payment.amount == invoice.total_amount
        assert invoice.billing_period_start is not None
        assert invoice.billing_period_end is not None
        assert invoice.billing_period_start < invoice.billing_period_end

    async def test_publish_command_delivers_each_to_the_handler(
        self, make_runner: RunnerFactory, amqp_settings: AmqpSettings
    ) -> None:
        handler = ScriptedHandler()
        await make_runner(handler)
        published = await publish_samples_to(
            amqp_settings, 42, customer_id=7, invoice_id=8, payment_id="9"
        )
        await wait_until(lambda: len(handler.calls) == 3, "three samples handled")
        received = {c.event.routing_key: c for c in handler.calls}
        for event in published:
            assert received[event.routing_key].event == event
            assert received[event.routing_key].ctx.trigger == "MANUAL"

    async def test_publish_command_reports_an_unreachable_broker(self) -> None:
        settings = make_amqp_settings(url="amqp://guest:secret@127.0.0.1:1/")
        with pytest.raises(BrokerUnavailable) as caught:
            await publish_samples_to(settings, 42, connect_timeout_s=0.3)
        assert "secret" not in str(caught.value)
        assert "127.0.0.1:1" in str(caught.value)
