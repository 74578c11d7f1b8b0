"""Operator routes against data produced by real syncs: logs, retry, mappings, diagnose,
dead letters; and what another organization's user cannot see or do."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from qbsync.sync.engine import SyncOptions, sync
from qbsync.sync.models import SyncTrigger
from tests.fixtures.consumers import eventually, parked_count, publish_like_spring
from tests.tokens import auth_headers, make_jwt

LOGS = "/api/quickbooks/sync-logs"


def _operator() -> dict[str, str]:
    return {"Authorization": f"Bearer {make_jwt(None, roles=['QBSYNC_OPERATOR'])}"}


async def _all_pages(client: httpx.AsyncClient, headers: dict, **params) -> list[dict]:
    items, cursor = [], None
    for _ in range(50):
        page = await client.get(
            LOGS, params={**params, **({"cursor": cursor} if cursor else {})}, headers=headers
        )
        assert page.status_code == 200, page.text
        body = page.json()
        items += body["items"]
        cursor = body["nextCursor"]
        if cursor is None:
            return items
    raise AssertionError("too many pages")


class TestSyncLogs:
    async def test_filters_newest_first_and_redacted_detail(self, client, run, org, aforo) -> None:
        ok = await aforo.customer(
            customer_name="Stark Industries", primary_email="tony@stark.example"
        )
        draft = await aforo.customer(customer_name="Draft Co", status="DRAFT")
        await run(
            sync, kind="customer", organization_id=org.organization_id, aforo_id=ok.customer_id
        )
        await run(
            sync, kind="customer", organization_id=org.organization_id, aforo_id=draft.customer_id
        )
        headers = auth_headers(org.organization_id)

        everything = (await client.get(LOGS, headers=headers)).json()["items"]
        assert [row["aforoId"] for row in everything] == [
            f"CUST-{draft.customer_id}",
            f"CUST-{ok.customer_id}",
        ]
        failed = (await client.get(LOGS, params={"status": "failed"}, headers=headers)).json()[
            "items"
        ]
        assert [row["aforoId"] for row in failed] == [f"CUST-{draft.customer_id}"]
        assert failed[0]["errorCategory"] == "INVALID_INPUT"
        assert "ACTIVE" in failed[0]["errorMessage"]
        by_id = await client.get(
            LOGS, params={"aforoId": f"CUST-{ok.customer_id}"}, headers=headers
        )
        [row] = by_id.json()["items"]
        by_qbo = await client.get(
            LOGS,
            params={"quickbooksId": row["quickbooksId"], "entityType": "customer"},
            headers=headers,
        )
        assert [r["id"] for r in by_qbo.json()["items"]] == [row["id"]]

        detail = (await client.get(f"{LOGS}/{row['id']}", headers=headers)).json()
        assert detail["requestPayload"]["DisplayName"] == "Stark Industries"
        assert detail["requestPayload"]["PrimaryEmailAddr"]["Address"] == "to***@stark.example"

    async def test_pagination_stays_correct_while_rows_are_added(
        self, client, run, org, aforo
    ) -> None:
        customers = [await aforo.customer(customer_name=f"Page Co {n}") for n in range(7)]
        for customer in customers:
            await run(
                sync,
                kind="customer",
                organization_id=org.organization_id,
                aforo_id=customer.customer_id,
            )
        headers = auth_headers(org.organization_id)
        first = (await client.get(LOGS, params={"limit": 3}, headers=headers)).json()
        extra = await aforo.customer(customer_name="Late Co")

        async def page_rest() -> list[dict]:
            items, cursor = [], first["nextCursor"]
            while cursor:
                body = (
                    await client.get(LOGS, params={"limit": 3, "cursor": cursor}, headers=headers)
                ).json()
                items += body["items"]
                cursor = body["nextCursor"]
            return items

        rest, _ = await asyncio.gather(
            page_rest(),
            run(
                sync,
                kind="customer",
                organization_id=org.organization_id,
                aforo_id=extra.customer_id,
            ),
        )
        seen = [row["aforoId"] for row in first["items"] + rest]
        assert len(seen) == len(set(seen)) == 7
        assert set(seen) == {f"CUST-{c.customer_id}" for c in customers}

    async def test_retry_runs_the_entity_again(self, client, run, org, aforo, stubs) -> None:
        customer = await aforo.customer(customer_name="Late Bloomer", status="DRAFT")
        failed = await run(
            sync,
            kind="customer",
            organization_id=org.organization_id,
            aforo_id=customer.customer_id,
        )
        await stubs.put_customer(
            org.organization_id, customer.model_copy(update={"status": "ACTIVE"})
        )
        retried = await client.post(
            f"{LOGS}/{failed.log_id}/retry", headers=auth_headers(org.organization_id)
        )
        assert retried.status_code == 200, retried.text
        body = retried.json()
        assert body["action"] == "CREATE"
        assert body["attempt"]["trigger"] == "RETRY"
        assert body["attempt"]["status"] == "SUCCESS"

    async def test_the_ids_people_type_find_the_rows(self, client, run, org, aforo) -> None:
        invoice = await aforo.invoice(await aforo.customer())
        await run(sync, kind="invoice", organization_id=org.organization_id, aforo_id=invoice.id)
        headers = auth_headers(org.organization_id)
        stored = f"invoice-{invoice.id}"
        for params in (
            {"aforoId": str(invoice.id), "entityType": "INVOICE"},
            {"aforoId": stored, "entityType": "invoice"},
            {"aforoId": str(invoice.id)},  # any kind
            {"aforoId": stored},
        ):
            rows = (await client.get(LOGS, params=params, headers=headers)).json()["items"]
            assert {row["aforoId"] for row in rows} == {stored}, params
            mappings = (
                await client.get("/api/quickbooks/mappings", params=params, headers=headers)
            ).json()["items"]
            assert [m["aforoId"] for m in mappings] == [stored], params

    @pytest.mark.parametrize(
        "params",
        [
            {"status": "bogus"},
            {"entityType": "widget"},
            {"errorCategory": "oops"},
            {"trigger": "cron"},
            {"entityType": "INVOICE", "aforoId": "abc"},
        ],
    )
    async def test_a_filter_that_can_never_match_is_refused(self, client, org, params) -> None:
        response = await client.get(LOGS, params=params, headers=auth_headers(org.organization_id))
        assert response.status_code == 422
        assert response.json()["error"] == "invalid_input"

    async def test_mappings_by_aforo_or_quickbooks_id(self, client, run, org, aforo) -> None:
        customer = await aforo.customer()
        invoice = await aforo.invoice(customer)
        result = await run(
            sync, kind="invoice", organization_id=org.organization_id, aforo_id=invoice.id
        )
        headers = auth_headers(org.organization_id)
        by_aforo = (
            await client.get(
                "/api/quickbooks/mappings",
                params={"aforoId": f"invoice-{invoice.id}"},
                headers=headers,
            )
        ).json()
        assert by_aforo["items"][0]["quickbooksId"] == result.quickbooks_id
        by_qbo = (
            await client.get(
                "/api/quickbooks/mappings",
                params={"entityType": "invoice", "quickbooksId": result.quickbooks_id},
                headers=headers,
            )
        ).json()
        assert [m["aforoId"] for m in by_qbo["items"]] == [f"invoice-{invoice.id}"]


class TestIsolation:
    async def test_another_org_sees_and_does_nothing(self, client, run, org, aforo, org_id) -> None:
        customer = await aforo.customer()
        result = await run(
            sync,
            kind="customer",
            organization_id=org.organization_id,
            aforo_id=customer.customer_id,
        )
        stranger = auth_headers(org_id + 1)
        assert (await client.get(LOGS, headers=stranger)).json()["items"] == []
        assert (await client.get(f"{LOGS}/{result.log_id}", headers=stranger)).status_code == 404
        assert (
            await client.post(f"{LOGS}/{result.log_id}/retry", headers=stranger)
        ).status_code == 404
        assert (await client.get("/api/quickbooks/mappings", headers=stranger)).json()[
            "items"
        ] == []
        spoofed = await client.get(
            LOGS, params={"organizationId": org.organization_id}, headers=stranger
        )
        assert spoofed.status_code == 403

    async def test_operators_read_every_org_or_one(self, client, run, org, aforo) -> None:
        customer = await aforo.customer()
        await run(
            sync,
            kind="customer",
            organization_id=org.organization_id,
            aforo_id=customer.customer_id,
        )
        one = (
            await client.get(
                LOGS, params={"organizationId": org.organization_id}, headers=_operator()
            )
        ).json()
        assert {row["organizationId"] for row in one["items"]} == {org.organization_id}
        everyone = await client.get(LOGS, params={"limit": 200}, headers=_operator())
        assert everyone.status_code == 200
        plain_user = await client.get(
            LOGS,
            params={"organizationId": org.organization_id + 5},
            headers=auth_headers(org.organization_id),
        )
        assert plain_user.status_code == 403


class TestDiagnose:
    async def _diagnose(self, client, org, entity_type: str, aforo_id: str) -> dict:
        response = await client.get(
            "/api/quickbooks/diagnose",
            params={"entityType": entity_type, "aforoId": aforo_id},
            headers=auth_headers(org.organization_id),
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def test_healthy(self, client, run, org, aforo) -> None:
        customer = await aforo.customer()
        invoice = await aforo.invoice(customer)
        await run(sync, kind="invoice", organization_id=org.organization_id, aforo_id=invoice.id)
        report = await self._diagnose(client, org, "INVOICE", str(invoice.id))
        assert report["verdict"] == "SYNCED"
        assert report["connection"]["connected"] is True
        assert report["mapping"]["aforoId"] == f"invoice-{invoice.id}"
        assert report["quickbooks"]["exists"] is True
        assert report["aforo"]["exists"] is True
        assert report["lastAttempts"][0]["status"] == "SUCCESS"

    async def test_failing_says_why_and_what_next(self, client, run, org, aforo) -> None:
        customer = await aforo.customer(status="DRAFT")
        invoice = await aforo.invoice(customer)
        failed = await run(
            sync, kind="invoice", organization_id=org.organization_id, aforo_id=invoice.id
        )
        report = await self._diagnose(client, org, "invoice", f"invoice-{invoice.id}")
        assert report["verdict"] == "FAILING"
        assert report["mapping"] is None
        assert any("ACTIVE" in step for step in report["nextSteps"])
        assert any(f"/sync-logs/{failed.log_id}/retry" in step for step in report["nextSteps"])

    async def test_never_seen(self, client, org, aforo) -> None:
        invoice = await aforo.invoice(await aforo.customer())
        report = await self._diagnose(client, org, "INVOICE", str(invoice.id))
        assert report["verdict"] == "NEVER_SEEN"
        assert report["aforo"]["exists"] is True
        assert report["lastAttempts"] == []

    async def test_what_aforo_does_not_know_is_not_offered_for_syncing(
        self, client, run, org
    ) -> None:
        report = await self._diagnose(client, org, "INVOICE", "789")
        assert report["verdict"] == "NOT_IN_AFORO"
        assert report["aforo"]["exists"] is False
        assert not any("sync it now" in step for step in report["nextSteps"])
        # Also once events have tried it: the verdict follows what Aforo said.
        await run(
            sync,
            kind="invoice",
            organization_id=org.organization_id,
            aforo_id=789,
            options=SyncOptions(trigger=SyncTrigger.WEBHOOK, will_retry=True),
        )
        again = await self._diagnose(client, org, "INVOICE", "789")
        assert again["verdict"] == "NOT_IN_AFORO"
        assert again["lastAttempts"][0]["errorCode"] == "aforo_not_ready"


class TestDeadLetters:
    async def test_parked_then_fixed_then_replayed(
        self, consuming_app, org, aforo, stubs, emulator_control
    ) -> None:
        settings = consuming_app.state.resources.settings
        transport = httpx.ASGITransport(app=consuming_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            customer = await aforo.customer(status="DRAFT")
            await publish_like_spring(
                settings,
                "customer.activated",
                {"customerId": customer.customer_id, "organizationId": org.organization_id},
                "x.CustomerActivatedEvent",
            )

            headers = auth_headers(org.organization_id)

            async def listed() -> list[dict[str, Any]]:
                response = await client.get("/api/quickbooks/dead-letters", headers=headers)
                items: list[dict[str, Any]] = response.json()["items"]
                return items

            async def parked() -> bool:
                return len(await listed()) == 1

            # The scheduler parks the work: a sync that cannot succeed until Aforo changes.
            await eventually(parked)
            [letter] = await listed()
            assert letter["messageId"].startswith("work-")
            assert letter["organizationId"] == org.organization_id
            assert letter["entityType"] == "CUSTOMER"
            assert letter["reason"] == "permanent_error"
            stranger = auth_headers(org.organization_id + 1)
            assert (await client.get("/api/quickbooks/dead-letters", headers=stranger)).json()[
                "items"
            ] == []
            assert (
                await client.post(
                    f"/api/quickbooks/dead-letters/{letter['messageId']}/replay", headers=stranger
                )
            ).status_code == 404

            report = (
                await client.get(
                    "/api/quickbooks/diagnose",
                    params={"entityType": "CUSTOMER", "aforoId": str(customer.customer_id)},
                    headers=headers,
                )
            ).json()
            assert report["verdict"] == "PARKED"

            await stubs.put_customer(
                org.organization_id, customer.model_copy(update={"status": "ACTIVE"})
            )
            replayed = await client.post(
                f"/api/quickbooks/dead-letters/{letter['messageId']}/replay", headers=headers
            )
            assert replayed.status_code == 200

            async def synced() -> bool:
                return len(await emulator_control.live(org.realm_id, "Customer")) == 1

            await eventually(synced)
            assert await listed() == []
            assert await parked_count(settings) == 0
            logs = (
                await client.get(
                    LOGS, params={"aforoId": f"CUST-{customer.customer_id}"}, headers=headers
                )
            ).json()
            assert [row["action"] for row in logs["items"]][:2] == ["CREATE", "REPLAY"]

    async def test_discard(self, consuming_app, org) -> None:
        settings = consuming_app.state.resources.settings
        await publish_like_spring(
            settings,
            "invoice.created",
            {"invoiceId": "nope", "organizationId": org.organization_id},
            "x",
        )

        async def parked() -> bool:
            return await parked_count(settings) == 1

        await eventually(parked)
        transport = httpx.ASGITransport(app=consuming_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            # Parked at the ingress (not work: it could not be decoded), next to any parked
            # work of other organizations.
            [letter] = [
                item
                for item in (
                    await client.get("/api/quickbooks/dead-letters", headers=_operator())
                ).json()["items"]
                if not item["messageId"].startswith("work-")
            ]
            assert letter["reason"] == "invalid_message"
            gone = await client.delete(
                f"/api/quickbooks/dead-letters/{letter['messageId']}", headers=_operator()
            )
            assert gone.status_code == 200
        assert await parked_count(settings) == 0
