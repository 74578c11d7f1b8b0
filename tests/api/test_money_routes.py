"""The money kinds through the manual routes and diagnose, as a person would use them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

from qbsync.config import Settings
from tests.api.test_compat import running_ui_app
from tests.tokens import auth_headers


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    async with running_ui_app(settings) as application:
        yield application


class TestManualRoutesAndDiagnose:
    async def test_credit_note_and_refund(self, client, aforo, org) -> None:
        headers = auth_headers(org.organization_id)
        customer = await aforo.customer()
        invoice = await aforo.invoice(customer, status="ISSUED")
        note = await aforo.credit_note(customer, ["12.00"], invoice_id=invoice.id)
        payment = await aforo.payment(invoice, "100.00")
        refund = await aforo.refund(payment, "10.00")

        credit = await client.post(
            "/api/quickbooks/sync/creditmemo",
            params={"creditMemoId": f"note-{note.id}"},
            headers=headers,
        )
        assert credit.status_code == 200, credit.text
        assert credit.json()["aforoCreditMemoId"] == f"credit-note-{note.id}"
        assert credit.json()["quickbooksCreditMemoId"]

        back = await client.post(
            "/api/quickbooks/sync/refund", params={"refundId": refund.id}, headers=headers
        )
        assert back.status_code == 200, back.text
        assert back.json()["aforoRefundId"] == f"refund-{refund.id}"

        for entity_type, aforo_id in (
            ("CREDITMEMO", f"credit-note-{note.id}"),
            ("REFUND", f"refund-{refund.id}"),
        ):
            diagnosis = await client.get(
                "/api/quickbooks/diagnose",
                params={"entityType": entity_type, "aforoId": aforo_id},
                headers=headers,
            )
            assert diagnosis.status_code == 200, diagnosis.text
            body = diagnosis.json()
            assert body["mapping"] is not None, body
            assert body["aforo"]["exists"] is True, body

    @pytest.mark.parametrize("given", ["note-0", "note-x", "-1", "5.0"])
    async def test_a_credit_note_id_its_event_cannot_carry_is_refused_when_queued(
        self, client, org, given
    ) -> None:
        # The route takes text ids; a credit note's event wants the number of note-5.
        refused = await client.post(
            "/api/quickbooks/sync/creditmemo",
            params={"creditMemoId": given, "async": "true"},
            headers=auth_headers(org.organization_id),
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"] == "invalid_input"
        assert "creditMemoId" in refused.json()["message"]

    async def test_a_credit_note_queued_by_hand_keeps_its_key(self, client, aforo, org) -> None:
        note = await aforo.credit_note(await aforo.customer(), ["3.00"])
        queued = await client.post(
            "/api/quickbooks/sync/creditmemo",
            params={"creditMemoId": f"note-{note.id}", "async": "true"},
            headers=auth_headers(org.organization_id),
        )
        assert queued.status_code in (200, 202), queued.text
