"""/api/quickbooks/invoices over HTTP: the UI's invoice table, the detail and the signed PDF
links the browser opens without headers; and what another organization cannot see."""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from sqlalchemy import update

from qbsync.api.pdf_links import derive_key, signed_path
from qbsync.config import Settings
from qbsync.connections.models import ConnectionStatus, QuickBooksConnection
from qbsync.sync.engine import sync
from tests.api.test_compat import running_ui_app
from tests.fixtures.sync import Org, new_id
from tests.tokens import auth_headers

INVOICES = "/api/quickbooks/invoices"


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    async with running_ui_app(settings) as application:
        yield application


@pytest.fixture
async def other_org(resources, emulator_control, sessionmaker) -> Org:
    """A second organization, connected to its own company, with nothing synced."""
    organization_id = new_id()
    realm = await emulator_control.create_realm(company_name="Other Org Ltd")
    tokens = await emulator_control.issue_tokens(realm.realm_id)
    now = datetime.now(UTC)
    async with sessionmaker.begin() as session:
        session.add(
            QuickBooksConnection(
                organization_id=organization_id,
                realm_id=realm.realm_id,
                environment="sandbox",
                status=ConnectionStatus.ACTIVE,
                access_token_encrypted=resources.cipher.encrypt(tokens.access_token),
                refresh_token_encrypted=resources.cipher.encrypt(tokens.refresh_token),
                access_token_expires_at=now + timedelta(seconds=tokens.expires_in),
                refresh_token_expires_at=now + timedelta(days=100),
                settings={},
            )
        )
    return Org(organization_id, realm.realm_id)


@pytest.fixture
async def synced(run, org, aforo):
    """One invoice synced by the engine, as metering's webhook would have it synced."""
    customer = await aforo.customer(customer_name="Wayne Enterprises")
    invoice = await aforo.invoice(customer)
    result = await run(
        sync, kind="invoice", organization_id=org.organization_id, aforo_id=invoice.id
    )
    assert result.ok, result.message
    return invoice


@pytest.fixture
async def row(client, org, synced) -> dict:
    """The synced invoice as the UI's table receives it."""
    return (await _rows(client, org.organization_id))[f"invoice-{synced.id}"]


async def _rows(client, org_id: int) -> dict[str, dict]:
    response = await client.get(INVOICES, headers=auth_headers(org_id))
    assert response.status_code == 200, response.text
    body = json.loads(response.content, parse_float=Decimal)
    assert body["totalCount"] == len(body["invoices"])
    return {row["aforoInvoiceId"]: row for row in body["invoices"]}


class TestInvoiceList:
    async def test_fields_the_ui_reads(self, client, run, org, aforo) -> None:
        customer = await aforo.customer(customer_name="Wayne Enterprises")
        paid = await aforo.invoice(customer)
        open_ = await aforo.invoice(customer, lines=[("Flat Fee", "99.90")])
        for invoice in (paid, open_):
            await run(
                sync, kind="invoice", organization_id=org.organization_id, aforo_id=invoice.id
            )
        payment = await aforo.payment(paid, "210.00")
        await run(sync, kind="payment", organization_id=org.organization_id, aforo_id=payment.id)

        response = await client.get(INVOICES, headers=auth_headers(org.organization_id))

        assert response.status_code == 200, response.text
        raw = response.json()  # as JavaScript sees it: money must be numbers
        assert raw["totalCount"] == 2
        assert len({row["Id"] for row in raw["invoices"]}) == 2
        for row in raw["invoices"]:
            assert isinstance(row["TotalAmt"], int | float)
            assert isinstance(row["Balance"], int | float)
        rows = await _rows(client, org.organization_id)
        first, second = rows[f"invoice-{paid.id}"], rows[f"invoice-{open_.id}"]
        assert first["DocNumber"] == paid.invoice_number
        assert first["CustomerRef"]["name"] == "Wayne Enterprises"
        assert first["TotalAmt"] == Decimal("210.00")
        assert first["Balance"] == 0  # the UI's `Balance === 0` shows "Paid"
        assert second["Balance"] == second["TotalAmt"] == Decimal("99.90")
        # Exact digits on the wire, no float noise.
        assert re.search(rb'"TotalAmt":99\.90?[,}]', response.content)
        date.fromisoformat(first["DueDate"])
        assert first["CurrencyRef"]["name"]
        synced_at = datetime.fromisoformat(first["syncedAt"])
        assert first["syncedAt"].endswith("Z")
        assert synced_at <= datetime.now(UTC)
        for row in (first, second):
            assert row["pdfUrl"].startswith(f"{INVOICES}/{row['Id']}/pdf?")
            assert row["pdfDownloadUrl"].startswith("/")
            query = parse_qs(urlsplit(row["pdfDownloadUrl"]).query)
            assert query["download"] == ["true"]
            assert query["organizationId"] == [str(org.organization_id)]

    async def test_only_this_organizations_invoices(
        self, client, org, other_org, row, emulator_control
    ) -> None:
        assert await _rows(client, other_org.organization_id) == {}
        assert set(await _rows(client, org.organization_id)) == {row["aforoInvoiceId"]}
        assert len(await emulator_control.live(org.realm_id, "Invoice")) == 1

    @pytest.mark.usefixtures("row")
    async def test_disconnected_is_409_not_an_empty_table(self, client, org, sessionmaker) -> None:
        async with sessionmaker.begin() as session:
            await session.execute(
                update(QuickBooksConnection)
                .where(QuickBooksConnection.organization_id == org.organization_id)
                .values(status=ConnectionStatus.DISCONNECTED)
            )
        response = await client.get(INVOICES, headers=auth_headers(org.organization_id))
        assert response.status_code == 409
        assert response.json()["error"] == "not_connected"

    async def test_never_connected_is_an_empty_list(self, client, org_id) -> None:
        assert await _rows(client, org_id + 7) == {}

    async def test_token_and_matching_organization_required(self, client, org) -> None:
        assert (await client.get(INVOICES)).status_code == 401
        headers = {**auth_headers(org.organization_id), "X-Organization-Id": "1"}
        assert (await client.get(INVOICES, headers=headers)).status_code == 403


class TestInvoiceDetail:
    async def test_one_invoice(self, client, org, synced, row) -> None:
        response = await client.get(
            f"{INVOICES}/{row['Id']}", headers=auth_headers(org.organization_id)
        )
        assert response.status_code == 200
        body = json.loads(response.content, parse_float=Decimal)
        assert body["Id"] == row["Id"]
        assert body["aforoInvoiceId"] == f"invoice-{synced.id}"
        assert body["TotalAmt"] == body["Balance"] == Decimal("210.00")
        assert body["Line"]
        assert body["syncedAt"] == row["syncedAt"]

    async def test_unknown_or_another_organizations_is_404(
        self, client, org, other_org, row
    ) -> None:
        for qbo_id, org_id in [
            (row["Id"], other_org.organization_id),
            ("99999", org.organization_id),
        ]:
            response = await client.get(f"{INVOICES}/{qbo_id}", headers=auth_headers(org_id))
            assert response.status_code == 404
            assert response.json()["error"] == "not_found"


class TestPdf:
    async def test_signed_links_work_without_headers(self, client, row) -> None:
        view = await client.get(row["pdfUrl"])

        assert view.status_code == 200, view.text
        assert view.content.startswith(b"%PDF")
        assert view.headers["content-type"] == "application/pdf"
        assert view.headers["content-disposition"] == f'inline; filename="invoice-{row["Id"]}.pdf"'
        download = await client.get(row["pdfDownloadUrl"])
        assert download.status_code == 200
        assert download.content.startswith(b"%PDF")
        assert download.headers["content-disposition"].startswith("attachment;")

    @pytest.mark.parametrize(
        "tamper",
        [
            lambda url: url.replace("sig=", "sig=x"),
            lambda url: re.sub(r"organizationId=\d+", "organizationId=1", url),
            lambda url: re.sub(r"exp=(\d+)", lambda m: f"exp={int(m[1]) + 3600}", url),
            lambda url: url + "&download=true",
            lambda url: url.split("?")[0],
            lambda url: re.sub(r"&sig=[^&]+", "", url),
        ],
        ids=["sig", "organization", "expiry", "download", "unsigned", "no-sig"],
    )
    async def test_tampered_or_unsigned_links_are_refused(self, client, row, tamper) -> None:
        response = await client.get(tamper(row["pdfUrl"]))
        assert response.status_code == 403
        assert response.json()["error"] == "pdf_link_invalid"

    async def test_expired_link_is_gone(self, client, app, org, row) -> None:
        expired = signed_path(
            derive_key(app.state.resources.settings.jwt_secret),
            qbo_id=row["Id"],
            organization_id=org.organization_id,
            expires_at=int(time.time()) - 5,
            download=False,
        )
        response = await client.get(expired)
        assert response.status_code == 410
        assert response.json()["error"] == "pdf_link_expired"

    async def test_bearer_token_instead_of_a_signature(self, client, org, other_org, row) -> None:
        path = f"{INVOICES}/{row['Id']}/pdf"
        own = await client.get(path, headers=auth_headers(org.organization_id))
        assert own.status_code == 200
        assert own.content.startswith(b"%PDF")
        other = auth_headers(other_org.organization_id)
        assert (await client.get(path, headers=other)).status_code == 404
        spoofed = await client.get(
            path, params={"organizationId": org.organization_id}, headers=other
        )
        assert spoofed.status_code == 403

    async def test_a_valid_signature_for_an_unmapped_invoice_is_404(
        self, client, app, other_org, row
    ) -> None:
        link = signed_path(
            derive_key(app.state.resources.settings.jwt_secret),
            qbo_id=row["Id"],
            organization_id=other_org.organization_id,
            expires_at=int(time.time()) + 60,
            download=False,
        )
        response = await client.get(link)
        assert response.status_code == 404


class TestServedFromLocalState:
    """A page view costs no QuickBooks read: the list and the detail answer from what qbsync
    wrote (and what payments and QuickBooks' change notifications said since)."""

    async def test_page_views_send_nothing_to_quickbooks(
        self, client, org, row, emulator_control
    ) -> None:
        before = len(await emulator_control.requests(org.realm_id))
        for _ in range(3):
            await _rows(client, org.organization_id)
            one = await client.get(
                f"{INVOICES}/{row['Id']}", headers=auth_headers(org.organization_id)
            )
            assert one.status_code == 200
        assert len(await emulator_control.requests(org.realm_id)) == before

    async def test_a_change_quickbooks_reported_shows(self, client, org, row, sessionmaker) -> None:
        from qbsync.reconcile import repository as reconcile
        from qbsync.reconcile.models import RemoteStatus

        async with sessionmaker.begin() as session:
            await reconcile.save_remote(
                session,
                realm_id=org.realm_id,
                entity_type="INVOICE",
                quickbooks_id=row["Id"],
                status=RemoteStatus.ACTIVE,
                total=Decimal("210.00"),
                balance=Decimal("10.00"),
            )
        rows = await _rows(client, org.organization_id)
        assert rows[row["aforoInvoiceId"]]["Balance"] == Decimal("10.00")
        async with sessionmaker.begin() as session:
            await reconcile.save_remote(
                session,
                realm_id=org.realm_id,
                entity_type="INVOICE",
                quickbooks_id=row["Id"],
                status=RemoteStatus.DELETED,
            )
        assert await _rows(client, org.organization_id) == {}

    async def test_invoices_synced_before_snapshots_are_read_once(
        self, client, org, row, sessionmaker, emulator_control
    ) -> None:
        from sqlalchemy import delete

        from qbsync.snapshots.models import RecordSnapshot

        async with sessionmaker.begin() as session:
            await session.execute(
                delete(RecordSnapshot).where(RecordSnapshot.realm_id == org.realm_id)
            )
        before = len(await emulator_control.requests(org.realm_id))
        first = await _rows(client, org.organization_id)
        second = await _rows(client, org.organization_id)
        assert first == second
        assert first[row["aforoInvoiceId"]]["TotalAmt"] == Decimal("210.00")
        log = (await emulator_control.requests(org.realm_id))[before:]
        assert [entry.path.rsplit("/", 1)[-1] for entry in log] == ["query"]
