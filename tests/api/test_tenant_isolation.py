"""Another organization's record is answered exactly as a missing one, on every route.

Metering serves any invoice id to any valid token, so qbsync is the one that must not tell
"not yours" from "not there" (issue #12 item 5).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fixtures.sync import AforoData, Org, new_id
from tests.tokens import auth_headers


def _masked(answer: dict[str, Any], record_id: object) -> str:
    return json.dumps(answer, sort_keys=True).replace(str(record_id), "<id>")


@pytest.fixture
def foreign(stubs, org: Org) -> AforoData:
    """Writes records owned by an organization other than ``org``."""
    return AforoData(stubs, Org(org.organization_id + 1, "0"))


class TestAnotherOrganizationsRecord:
    async def test_diagnose_shows_no_status_or_total(self, client, org, foreign) -> None:
        theirs = await foreign.invoice(await foreign.customer())
        missing = new_id()
        answers = []
        for invoice_id in (theirs.id, missing):
            response = await client.get(
                "/api/quickbooks/diagnose",
                params={"entityType": "INVOICE", "aforoId": invoice_id},
                headers=auth_headers(org.organization_id),
            )
            assert response.status_code == 200, response.text
            answers.append(response.json())
        assert answers[0]["aforo"]["exists"] is False
        assert "totalAmount" not in answers[0]["aforo"]
        assert _masked(answers[0], theirs.id) == _masked(answers[1], missing)

    async def test_manual_sync_answers_as_for_a_missing_invoice(self, client, org, foreign) -> None:
        theirs = (await foreign.invoice(await foreign.customer())).id
        missing = new_id()
        answers = []
        for record_id in (theirs, missing):
            response = await client.post(
                "/api/quickbooks/sync/invoice",
                params={"invoiceId": record_id},
                headers=auth_headers(org.organization_id),
            )
            answers.append((response.status_code, _masked(_stable(response.json()), record_id)))
        assert answers[0] == answers[1]
        assert "another organization" not in answers[0][1]


def _stable(body: dict[str, Any]) -> dict[str, Any]:
    """The answer without what differs between any two attempts (the sync-log row id)."""
    return {key: value for key, value in body.items() if key != "syncLogId"}
