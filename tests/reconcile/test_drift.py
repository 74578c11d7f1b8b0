"""The drift report per organization and period, and the repairs that clear it."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from sqlalchemy import select

from qbsync.sync.engine import sync
from qbsync.sync.models import SyncLog
from tests.reconcile.conftest import drain
from tests.tokens import auth_headers

PERIOD = {"from": "2026-10-01", "to": "2026-10-31"}


async def _sync_all(sessionmaker, deps, org, invoices) -> dict[int, str]:
    ids = {}
    async with sessionmaker.begin() as session:
        for invoice in invoices:
            result = await sync(
                session,
                deps,
                organization_id=org.organization_id,
                kind="invoice",
                aforo_id=invoice.id,
            )
            ids[invoice.id] = result.quickbooks_id
    return ids


async def _report(client, org, **extra):
    response = await client.get(
        "/api/quickbooks/drift",
        params={**PERIOD, **extra},
        headers=auth_headers(org.organization_id),
    )
    assert response.status_code == 200, response.text
    return response


async def test_the_report_lists_each_difference_and_repairs_clear_them(
    client, sessionmaker, resources, deps, org, aforo, emulator_control
) -> None:
    customer = await aforo.customer()
    edited, deleted, fine, voided = [await aforo.invoice(customer) for _ in range(4)]
    never = await aforo.invoice(customer, status="ISSUED")
    ids = await _sync_all(sessionmaker, deps, org, [edited, deleted, fine, voided])
    realm = org.realm_id
    await emulator_control.person_edit(realm, "Invoice", ids[edited.id], {"DueDate": "2027-01-31"})
    await emulator_control.person_delete(realm, "Invoice", ids[deleted.id])
    await emulator_control.person_void(realm, "Invoice", ids[voided.id])

    before = (await _report(client, org)).json()
    found = sorted((m["aforoId"], m["kind"], m["suggestedRepair"]) for m in before["mismatches"])
    assert found == sorted(
        [
            (f"invoice-{edited.id}", "DATES", "REPUSH"),
            (f"invoice-{deleted.id}", "MISSING_IN_QUICKBOOKS", "RECREATE"),
            (f"invoice-{voided.id}", "STATUS", "REVIEW"),
            (f"invoice-{never.id}", "NOT_IN_QUICKBOOKS", "RECREATE"),
        ]
    )
    assert before["presence"] == {
        "missingInQuickbooks": 1,
        "notInQuickbooks": 1,
        "unknownToAforo": 0,
    }
    metrics = (await client.get("/metrics")).text
    open_dates = next(
        line
        for line in metrics.splitlines()
        if line.startswith('qbsync_drift_open_mismatches{entity="INVOICE",kind="DATES"}')
    )
    assert float(open_dates.split()[-1]) >= 1
    invoiced = before["totals"]["invoiced"]
    # Five invoices of 210.00 in Aforo (drafts are not counted, issued ones are); QuickBooks
    # holds two live ones (one deleted, one voided, one never sent).
    assert Decimal(str(invoiced["quickbooks"])) == Decimal("420.00")

    by_kind = {m["kind"]: m["id"] for m in before["mismatches"]}
    answer = await client.post(
        "/api/quickbooks/drift/repairs",
        json={
            "repairs": [
                {"mismatchId": by_kind["DATES"], "action": "REPUSH"},
                {"mismatchId": by_kind["MISSING_IN_QUICKBOOKS"], "action": "RECREATE"},
                {"mismatchId": by_kind["NOT_IN_QUICKBOOKS"], "action": "RECREATE"},
                {
                    "mismatchId": by_kind["STATUS"],
                    "action": "IGNORE",
                    "reason": "voided on purpose",
                },
                {"mismatchId": by_kind["STATUS"], "action": "IGNORE"},
            ]
        },
        headers=auth_headers(org.organization_id),
    )
    assert answer.status_code == 200, answer.text
    assert [r["outcome"] for r in answer.json()["results"]] == [
        "QUEUED",
        "QUEUED",
        "QUEUED",
        "DONE",
        "REFUSED",
    ]
    await drain(resources, sessionmaker, org.organization_id)

    after = (await _report(client, org)).json()
    assert [(m["kind"], m["state"], m["reason"]) for m in after["mismatches"]] == [
        ("STATUS", "IGNORED", "voided on purpose")
    ]
    assert after["openMismatches"] == 0
    async with sessionmaker() as session:
        actions = set(
            await session.scalars(
                select(SyncLog.action).where(
                    SyncLog.organization_id == org.organization_id,
                    SyncLog.correlation_id.like("repair:%"),
                )
            )
        )
    assert {"REPUSH", "RECREATE", "IGNORE", "UPDATE", "CREATE"} <= actions

    exported = await _report(client, org, format="csv")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["kind"] for r in rows][:4] == [
        "TOTAL_INVOICED",
        "TOTAL_CREDITED",
        "TOTAL_PAID",
        "TOTAL_OPEN",
    ]
    assert rows[-1]["state"] == "IGNORED"


async def test_a_record_unknown_to_aforo_can_be_relinked(
    client, org, aforo, emulator_control
) -> None:
    customer = await aforo.customer()
    invoice = await aforo.invoice(customer, status="ISSUED")
    # Someone typed the invoice into QuickBooks by hand before qbsync sent it.
    token = (await emulator_control.issue_tokens(org.realm_id)).access_token
    qbo = f"{emulator_control.base_url}/sandbox/v3/company/{org.realm_id}"
    headers = {"Authorization": f"Bearer {token}"}
    made = await emulator_control.http.post(
        f"{qbo}/customer", json={"DisplayName": "Typed By Hand"}, headers=headers
    )
    typed = await emulator_control.http.post(
        f"{qbo}/invoice",
        json={
            "CustomerRef": {"value": made.json()["Customer"]["Id"]},
            "TxnDate": "2026-10-31",
            "Line": [
                {
                    "Amount": 210,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                }
            ],
        },
        headers=headers,
    )
    typed_id = typed.json()["Invoice"]["Id"]
    before = (await _report(client, org)).json()
    unknown = next(m for m in before["mismatches"] if m["kind"] == "UNKNOWN_TO_AFORO")
    assert unknown["quickbooksId"] == typed_id
    answer = await client.post(
        "/api/quickbooks/drift/repairs",
        json={
            "repairs": [
                {
                    "mismatchId": unknown["id"],
                    "action": "RELINK",
                    "aforoId": f"invoice-{invoice.id}",
                }
            ]
        },
        headers=auth_headers(org.organization_id),
    )
    assert answer.json()["results"][0]["outcome"] == "QUEUED", answer.text
    after = (await _report(client, org)).json()
    assert not [
        m for m in after["mismatches"] if m["kind"] in ("UNKNOWN_TO_AFORO", "NOT_IN_QUICKBOOKS")
    ]
