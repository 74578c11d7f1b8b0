"""The engine against real Postgres, the emulator and the Aforo stubs: each scenario ends with
the emulator holding exactly the records it should and the sync log telling the story."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from sqlalchemy import select, update

from qbsync.connections.models import ConnectionStatus, QuickBooksConnection
from qbsync.sync.engine import SyncOptions, sync
from qbsync.sync.mappers.payments import PaymentFacts
from qbsync.sync.models import SyncAction, SyncLog, SyncStatus, SyncTrigger


def _lines(invoice_body: dict) -> list[dict]:
    return [line for line in invoice_body["Line"] if line["DetailType"] != "SubTotalLineDetail"]


class TestHappyPath:
    async def test_customer_then_invoice_then_payment(
        self, run, aforo, org, emulator_control, logs
    ) -> None:
        customer = await aforo.customer(
            customer_name="Globex Corporation", phone_number="+1 555 0100"
        )
        plan = await aforo.rate_plan("Growth Plan")
        invoice = await aforo.invoice(customer, rate_plan_id=plan.rate_plan_id)
        payment = await aforo.payment(invoice, "50.00", reference="ch_123", payment_method="card")
        org_id = org.organization_id

        c = await run(sync, kind="customer", organization_id=org_id, aforo_id=customer.customer_id)
        i = await run(sync, kind="invoice", organization_id=org_id, aforo_id=invoice.id)
        p = await run(sync, kind="payment", organization_id=org_id, aforo_id=payment.id)
        assert [c.action, i.action, p.action] == [SyncAction.CREATE] * 3

        customers = await emulator_control.live(org.realm_id, "Customer")
        assert [r.body["DisplayName"] for r in customers] == ["Globex Corporation"]
        assert customers[0].body["PrimaryEmailAddr"]["Address"] == "billing@acme.example"

        [qbo_invoice] = await emulator_control.live(org.realm_id, "Invoice")
        body = qbo_invoice.body
        assert body["DocNumber"] == invoice.invoice_number
        assert body["CustomerRef"]["value"] == c.quickbooks_id
        assert Decimal(str(body["TotalAmt"])) == Decimal("210.00")
        assert Decimal(str(body["Balance"])) == Decimal("160.00")
        assert body["TxnDate"] == "2026-10-31"
        assert body["DueDate"] == "2026-11-30"
        assert [line["Description"] for line in _lines(body)] == [
            "Flat Fee (Base)",
            "Overage Charges (Base)",
        ]

        items = await emulator_control.live(org.realm_id, "Item")
        assert "Growth Plan" in [r.body["Name"] for r in items]

        [qbo_payment] = await emulator_control.live(org.realm_id, "Payment")
        assert Decimal(str(qbo_payment.body["TotalAmt"])) == Decimal("50.00")
        assert qbo_payment.body["Line"][0]["LinkedTxn"][0]["TxnId"] == i.quickbooks_id
        assert qbo_payment.body["PaymentRefNum"] == "ch_123"

        story = [(row.entity_type, row.action, row.status) for row in await logs()]
        assert story == [
            ("CUSTOMER", "CREATE", "SUCCESS"),
            ("ITEM", "CREATE", "SUCCESS"),
            ("INVOICE", "CREATE", "SUCCESS"),
            ("PAYMENT", "CREATE", "SUCCESS"),
        ]

    async def test_payment_before_its_invoice_syncs_everything_it_needs(
        self, run, aforo, org, emulator_control, logs
    ) -> None:
        customer = await aforo.customer()
        invoice = await aforo.invoice(customer)
        payment = await aforo.payment(invoice, "210.00")
        result = await run(
            sync, kind="payment", organization_id=org.organization_id, aforo_id=payment.id
        )
        assert result.status == SyncStatus.SUCCESS
        assert len(await emulator_control.live(org.realm_id, "Customer")) == 1
        [qbo_invoice] = await emulator_control.live(org.realm_id, "Invoice")
        assert Decimal(str(qbo_invoice.body["Balance"])) == 0
        entities = [row.entity_type for row in await logs()]
        assert entities == ["CUSTOMER", "ITEM", "INVOICE", "PAYMENT"]

    async def test_invoice_before_its_customer(self, run, aforo, org, emulator_control) -> None:
        customer = await aforo.customer()
        invoice = await aforo.invoice(customer)
        result = await run(
            sync, kind="invoice", organization_id=org.organization_id, aforo_id=invoice.id
        )
        assert result.status == SyncStatus.SUCCESS
        [qbo_customer] = await emulator_control.live(org.realm_id, "Customer")
        [qbo_invoice] = await emulator_control.live(org.realm_id, "Invoice")
        assert qbo_invoice.body["CustomerRef"]["value"] == qbo_customer.id

    async def test_payment_from_event_facts_needs_no_payment_service(
        self, run, aforo, org, emulator_control, stubs
    ) -> None:
        customer = await aforo.customer()
        invoice = await aforo.invoice(customer)
        facts = PaymentFacts(
            payment_id="evt-pay-1",
            organization_id=org.organization_id,
            invoice_id=invoice.id,
            customer_id=customer.customer_id,
            amount=Decimal("300.00"),
            paid_at=None,
        )
        result = await run(
            sync,
            kind="payment",
            organization_id=org.organization_id,
            aforo_id="evt-pay-1",
            details=facts.to_details(),
        )
        assert result.status == SyncStatus.SUCCESS
        assert "unapplied" in result.message
        [qbo_payment] = await emulator_control.live(org.realm_id, "Payment")
        assert Decimal(str(qbo_payment.body["TotalAmt"])) == Decimal("300.00")
        assert Decimal(str(qbo_payment.body["UnappliedAmt"])) == Decimal("90.00")
        asked = [r for r in await stubs.requests("payment") if r.tenant == org.organization_id]
        assert asked == []


class TestIdempotency:
    async def test_the_same_event_three_times(
        self, run, aforo, org, emulator_control, logs
    ) -> None:
        customer = await aforo.customer()
        invoice = await aforo.invoice(customer)
        results = [
            await run(
                sync, kind="invoice", organization_id=org.organization_id, aforo_id=invoice.id
            )
            for _ in range(3)
        ]
        assert [r.action for r in results] == [SyncAction.CREATE, SyncAction.SKIP, SyncAction.SKIP]
        assert len({r.quickbooks_id for r in results}) == 1
        assert len(await emulator_control.live(org.realm_id, "Invoice")) == 1
        invoice_rows = await logs("INVOICE")
        assert [row.status for row in invoice_rows] == ["SUCCESS", "SKIPPED", "SKIPPED"]

    async def test_two_instances_sync_the_same_invoice_at_once(
        self, run, aforo, org, emulator_control
    ) -> None:
        customer = await aforo.customer()
        invoice = await aforo.invoice(customer)
        first, second = await asyncio.gather(
            run(sync, kind="invoice", organization_id=org.organization_id, aforo_id=invoice.id),
            run(sync, kind="invoice", organization_id=org.organization_id, aforo_id=invoice.id),
        )
        assert sorted([first.action, second.action]) == sorted([SyncAction.CREATE, SyncAction.SKIP])
        assert len(await emulator_control.live(org.realm_id, "Invoice")) == 1
        assert len(await emulator_control.live(org.realm_id, "Customer")) == 1

    async def test_a_changed_invoice_is_updated_in_place(
        self, run, aforo, org, emulator_control, stubs
    ) -> None:
        customer = await aforo.customer()
        invoice = await aforo.invoice(customer)
        await run(sync, kind="invoice", organization_id=org.organization_id, aforo_id=invoice.id)
        changed = invoice.model_copy(update={"notes": "x", "total_amount": Decimal("250.00")})
        changed.line_items[0] = changed.line_items[0].model_copy(
            update={"amount": Decimal("240.00")}
        )
        await stubs.put_invoice(changed)
        result = await run(
            sync, kind="invoice", organization_id=org.organization_id, aforo_id=invoice.id
        )
        assert result.action == SyncAction.UPDATE
        [qbo_invoice] = await emulator_control.live(org.realm_id, "Invoice")
        assert Decimal(str(qbo_invoice.body["TotalAmt"])) == Decimal("250.00")
        assert qbo_invoice.sync_token == "1"


class TestFaults:
    async def test_write_landed_response_lost_on_each_create(
        self, run, aforo, org, emulator_control
    ) -> None:
        customer = await aforo.customer()
        invoice = await aforo.invoice(customer)
        payment = await aforo.payment(invoice, "10.00")
        for path in ("/customer", "/item", "/invoice", "/payment"):
            await emulator_control.queue_fault(
                "lost_response", realm_id=org.realm_id, method="POST", path_contains=path
            )
        result = await run(
            sync, kind="payment", organization_id=org.organization_id, aforo_id=payment.id
        )
        assert result.status == SyncStatus.SUCCESS, result.message
        for entity in ("Customer", "Invoice", "Payment"):
            assert len(await emulator_control.live(org.realm_id, entity)) == 1, entity
        plans = [
            r
            for r in await emulator_control.live(org.realm_id, "Item")
            if r.body["Name"] == "Subscription Service"
        ]
        assert len(plans) == 1

    async def test_stale_sync_token_is_re_read(
        self, run, aforo, org, emulator_control, stubs
    ) -> None:
        customer = await aforo.customer()
        await run(
            sync,
            kind="customer",
            organization_id=org.organization_id,
            aforo_id=customer.customer_id,
        )
        await stubs.put_customer(
            org.organization_id, customer.model_copy(update={"phone_number": "555-0199"})
        )
        await emulator_control.queue_fault(
            "stale", realm_id=org.realm_id, method="POST", path_contains="/customer"
        )
        result = await run(
            sync,
            kind="customer",
            organization_id=org.organization_id,
            aforo_id=customer.customer_id,
        )
        assert result.action == SyncAction.UPDATE, result.message
        [qbo_customer] = await emulator_control.live(org.realm_id, "Customer")
        assert qbo_customer.body["PrimaryPhone"]["FreeFormNumber"] == "555-0199"

    async def test_metering_404_then_200(self, run, aforo, org, stubs) -> None:
        customer = await aforo.customer()
        invoice = await aforo.invoice(customer)
        await stubs.not_ready(invoice.id, count=1)  # metering's commit lands just after
        result = await run(
            sync, kind="invoice", organization_id=org.organization_id, aforo_id=invoice.id
        )
        assert result.status == SyncStatus.SUCCESS

    async def test_metering_404_that_persists_is_retryable(
        self, run, aforo, org, stubs, logs
    ) -> None:
        customer = await aforo.customer()
        invoice = await aforo.invoice(customer)
        await stubs.not_ready(invoice.id, count=50)
        result = await run(
            sync,
            kind="invoice",
            organization_id=org.organization_id,
            aforo_id=invoice.id,
            options=SyncOptions(trigger=SyncTrigger.EVENT, will_retry=True),
        )
        assert result.status == SyncStatus.RETRYING
        assert result.retryable
        [row] = await logs("INVOICE")
        assert row.error_category == "DEPENDENCY"
        assert row.trigger == "EVENT"

    async def test_a_brief_quickbooks_outage_is_ridden_out(
        self, run, aforo, org, emulator_control, logs
    ) -> None:
        customer = await aforo.customer()
        await emulator_control.queue_fault(
            "http_503", realm_id=org.realm_id, method="POST", count=2
        )
        result = await run(
            sync,
            kind="customer",
            organization_id=org.organization_id,
            aforo_id=customer.customer_id,
        )
        assert result.status == SyncStatus.SUCCESS
        assert len(await emulator_control.live(org.realm_id, "Customer")) == 1
        assert [row.status for row in await logs("CUSTOMER")] == ["SUCCESS"]

    async def test_a_long_quickbooks_outage_is_logged_retryable(
        self, run, aforo, org, emulator_control, logs
    ) -> None:
        customer = await aforo.customer()
        await emulator_control.queue_fault("http_500", realm_id=org.realm_id, count=50)
        result = await run(
            sync,
            kind="customer",
            organization_id=org.organization_id,
            aforo_id=customer.customer_id,
            options=SyncOptions(trigger=SyncTrigger.EVENT, will_retry=True),
        )
        assert result.status == SyncStatus.RETRYING
        [row] = await logs("CUSTOMER")
        assert row.error_category == "TRANSIENT"
        assert row.intuit_tid
        assert await emulator_control.live(org.realm_id, "Customer") == []


class TestNames:
    async def test_a_name_taken_by_another_customer_gets_a_suffix(
        self, run, aforo, org, emulator_control
    ) -> None:
        first = await aforo.customer(customer_name="Initech", primary_email="a@initech.example")
        second = await aforo.customer(customer_name="Initech", primary_email="b@other.example")
        await run(
            sync, kind="customer", organization_id=org.organization_id, aforo_id=first.customer_id
        )
        result = await run(
            sync, kind="customer", organization_id=org.organization_id, aforo_id=second.customer_id
        )
        assert result.action == SyncAction.CREATE
        names = sorted(
            r.body["DisplayName"] for r in await emulator_control.live(org.realm_id, "Customer")
        )
        assert names == ["Initech", f"Initech (CUST-{second.customer_id})"]

    async def test_a_name_taken_by_a_vendor_gets_a_suffix(
        self, run, aforo, org, emulator_control
    ) -> None:
        customer = await aforo.customer(customer_name="Robertson & Associates")
        result = await run(
            sync,
            kind="customer",
            organization_id=org.organization_id,
            aforo_id=customer.customer_id,
        )
        assert result.status == SyncStatus.SUCCESS
        [qbo_customer] = await emulator_control.live(org.realm_id, "Customer")
        assert (
            qbo_customer.body["DisplayName"]
            == f"Robertson & Associates (CUST-{customer.customer_id})"
        )

    async def test_an_unmapped_customer_with_our_email_is_adopted(
        self, run, aforo, org, emulator_control, resources
    ) -> None:
        customer = await aforo.customer(customer_name="Hooli", primary_email="ap@hooli.example")
        from qbsync.quickbooks.schemas import EmailAddress
        from qbsync.quickbooks.schemas.names import Customer

        qbo = resources.quickbooks.client(
            organization_id=org.organization_id, realm_id=org.realm_id
        )
        existing = await qbo.create(
            Customer(
                display_name="Hooli", primary_email_addr=EmailAddress(address="AP@hooli.example")
            ),
            request_id="pre-existing-hooli",
        )
        result = await run(
            sync,
            kind="customer",
            organization_id=org.organization_id,
            aforo_id=customer.customer_id,
        )
        assert result.action == SyncAction.LINK
        assert result.quickbooks_id == existing.id
        assert len(await emulator_control.live(org.realm_id, "Customer")) == 1

    async def test_quotes_colons_and_non_ascii(self, run, aforo, org, emulator_control) -> None:
        customer = await aforo.customer(customer_name='O\'Brien: "Café" Zürich\tGmbH\\')
        first = await run(
            sync,
            kind="customer",
            organization_id=org.organization_id,
            aforo_id=customer.customer_id,
        )
        assert first.action == SyncAction.CREATE, first.message
        [qbo_customer] = await emulator_control.live(org.realm_id, "Customer")
        assert qbo_customer.body["DisplayName"] == 'O\'Brien - "Café" Zürich GmbH\\'
        again = await run(
            sync,
            kind="customer",
            organization_id=org.organization_id,
            aforo_id=customer.customer_id,
        )
        assert again.action == SyncAction.SKIP


class TestInvoiceLines:
    async def test_a_credit_invoice_becomes_a_credit_memo_not_an_invoice(
        self, run, aforo, org, emulator_control
    ) -> None:
        customer = await aforo.customer()
        invoice = await aforo.invoice(customer, lines=[("Flat Discount", "-30.00")])
        result = await run(
            sync, kind="invoice", organization_id=org.organization_id, aforo_id=invoice.id
        )
        assert result.status == SyncStatus.SKIPPED
        assert "credit memo" in result.message
        assert await emulator_control.live(org.realm_id, "Invoice") == []
        [memo] = await emulator_control.live(org.realm_id, "CreditMemo")
        assert Decimal(str(memo.body["TotalAmt"])) == Decimal("30.00")

    async def test_discount_and_zero_lines(self, run, aforo, org, emulator_control) -> None:
        customer = await aforo.customer()
        invoice = await aforo.invoice(
            customer,
            lines=[
                ("Flat Fee", "200.00"),
                ("Freemium Credit", "0.00"),
                ("Discount (10%)", "-20.00"),
                ("Usage Charges", "35.50"),
            ],
        )
        result = await run(
            sync, kind="invoice", organization_id=org.organization_id, aforo_id=invoice.id
        )
        assert result.status == SyncStatus.SUCCESS, result.message
        [qbo_invoice] = await emulator_control.live(org.realm_id, "Invoice")
        lines = _lines(qbo_invoice.body)
        assert [(line["DetailType"], Decimal(str(line["Amount"]))) for line in lines] == [
            ("SalesItemLineDetail", Decimal("200.00")),
            ("SalesItemLineDetail", Decimal("0.00")),
            ("SalesItemLineDetail", Decimal("35.50")),
            ("DiscountLineDetail", Decimal("20.00")),
        ]
        assert Decimal(str(qbo_invoice.body["TotalAmt"])) == Decimal("215.50")


class TestConnectionState:
    async def test_org_not_connected_is_skipped_and_logged(self, run, sessionmaker, org_id) -> None:
        result = await run(sync, kind="customer", organization_id=org_id, aforo_id=1)
        assert result.status == SyncStatus.SKIPPED
        assert result.error is not None
        assert result.error.category == "NOT_CONNECTED"
        async with sessionmaker() as session:
            [row] = await session.scalars(select(SyncLog).where(SyncLog.organization_id == org_id))
        assert (row.status, row.action, row.aforo_id) == ("SKIPPED", "SKIP", "CUST-1")
        assert "connect QuickBooks" in (row.error_message or "")

    async def test_connection_needing_reauth_fails_clearly(
        self, run, aforo, org, sessionmaker, logs
    ) -> None:
        customer = await aforo.customer()
        async with sessionmaker.begin() as session:
            await session.execute(
                update(QuickBooksConnection)
                .where(QuickBooksConnection.organization_id == org.organization_id)
                .values(status=ConnectionStatus.NEEDS_REAUTH)
            )
        result = await run(
            sync,
            kind="customer",
            organization_id=org.organization_id,
            aforo_id=customer.customer_id,
        )
        assert result.status == SyncStatus.FAILED
        assert not result.retryable
        [row] = await logs()
        assert row.error_category == "AUTH"
        assert "reconnect" in (row.error_message or "").lower()

    async def test_revoked_grant_fails_with_auth_and_marks_the_connection(
        self, run, aforo, org, emulator_control, resources, logs
    ) -> None:
        customer = await aforo.customer()
        await emulator_control.expire_tokens(org.realm_id)
        from sqlalchemy import text

        async with resources.sessionmaker() as session:
            stored = (
                await session.execute(
                    text(
                        "SELECT refresh_token_encrypted FROM quickbooks_connection WHERE organization_id = :o"
                    ),
                    {"o": org.organization_id},
                )
            ).one()
        await resources.quickbooks.oauth.revoke(
            resources.cipher.decrypt(stored.refresh_token_encrypted)
        )
        result = await run(
            sync,
            kind="customer",
            organization_id=org.organization_id,
            aforo_id=customer.customer_id,
        )
        assert result.status == SyncStatus.FAILED
        assert result.error is not None
        assert result.error.category == "AUTH"
        assert (await logs())[-1].error_code == "needs_reauth"


class TestRefusalsAreRetryable:
    async def test_a_refused_create_succeeds_once_the_cause_is_fixed(
        self, run, aforo, org, emulator_control, resources, logs
    ) -> None:
        """QBO replays a requestid's first answer, refusals included: after a refusal is on
        record, the next attempt must use a new requestid or it could never succeed."""
        from qbsync.quickbooks.schemas.names import Item

        customer = await aforo.customer()
        first = await aforo.invoice(customer)
        await run(sync, kind="invoice", organization_id=org.organization_id, aforo_id=first.id)
        qbo = resources.quickbooks.client(
            organization_id=org.organization_id, realm_id=org.realm_id
        )
        [item] = [
            r
            for r in await emulator_control.live(org.realm_id, "Item")
            if r.body["Name"] == "Subscription Service"
        ]
        await qbo.deactivate(Item, item.id, item.sync_token, request_id="test-deactivate")

        second = await aforo.invoice(customer)
        refused = await run(
            sync, kind="invoice", organization_id=org.organization_id, aforo_id=second.id
        )
        assert refused.status == SyncStatus.FAILED
        assert (await logs("INVOICE", f"invoice-{second.id}"))[-1].error_code == "610"

        current = await qbo.read(Item, item.id)
        await qbo.update(
            Item(id=item.id, sync_token=current.sync_token, active=True),
            request_id="test-reactivate",
        )
        retried = await run(
            sync, kind="invoice", organization_id=org.organization_id, aforo_id=second.id
        )
        assert retried.action == SyncAction.CREATE, retried.message
        assert len(await emulator_control.live(org.realm_id, "Invoice")) == 2
