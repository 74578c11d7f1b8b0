"""Third-party clients against the emulator over real HTTP, configured as users configure them.

Intuit's own OAuth library (intuit-oauth) finds every endpoint through the OpenID discovery
document; python-quickbooks, a widely used SDK, then creates, reads, queries and deletes with
its default objects. Both are synchronous (requests), so these tests are plain functions.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from quickbooks.exceptions import QuickbooksException
from quickbooks.objects.base import CustomerMemo
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item

from quickbooks import QuickBooks
from support import REDIRECT, SEED_REALM

CLIENT_ID = "emulator-client-id"
CLIENT_SECRET = "emulator-client-secret"


def _connect(served: str) -> AuthClient:
    """The OAuth dance as an app does it with intuit-oauth; the user's click is a form POST."""
    auth = AuthClient(
        CLIENT_ID,
        CLIENT_SECRET,
        REDIRECT,
        environment=f"{served}/.well-known/openid_sandbox_configuration",
    )
    url = auth.get_authorization_url([Scopes.ACCOUNTING], state_token="csrf-1")
    assert url.startswith(f"{served}/connect/oauth2?")
    asked = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
    with httpx.Client(base_url=served) as browser:
        assert browser.get(url).status_code == 200
        consent = browser.post(
            "/connect/oauth2/consent",
            data={**asked, "realm_id": SEED_REALM, "decision": "allow"},
        )
    assert consent.status_code == 302
    callback = parse_qs(urlsplit(consent.headers["location"]).query)
    assert callback["state"] == ["csrf-1"]
    auth.get_bearer_token(callback["code"][0], realm_id=callback["realmId"][0])
    return auth


@pytest.fixture
def auth(served: str) -> AuthClient:
    return _connect(served)


@pytest.fixture
def qb(served: str, auth: AuthClient, monkeypatch: pytest.MonkeyPatch) -> Iterator[QuickBooks]:
    # oauthlib refuses plain http unless told that this is a local test (its documented way).
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    client = QuickBooks(
        auth_client=auth, refresh_token=auth.refresh_token, company_id=SEED_REALM, minorversion=75
    )
    # The only setting python-quickbooks has for its host: the class's base URLs.
    client.sandbox_api_url_v3 = client.api_url_v3 = f"{served}/sandbox/v3"
    yield client
    client.session.close()


class TestIntuitOAuth:
    def test_tokens_come_through_the_discovery_document(self, auth: AuthClient) -> None:
        assert auth.realm_id == SEED_REALM
        assert len(auth.access_token) > 1000
        assert auth.refresh_token.startswith("RT1-")
        assert auth.x_refresh_token_expires_in == 8_726_400

    def test_refresh_rotates_and_revoke_disconnects(self, auth: AuthClient) -> None:
        first = auth.refresh_token
        auth.refresh()
        assert auth.refresh_token != first
        assert auth.revoke(token=auth.refresh_token) is True
        with pytest.raises(Exception, match="invalid_grant"):
            auth.refresh()


class TestPythonQuickBooks:
    def test_its_default_invoice_round_trips(self, qb: QuickBooks) -> None:
        """The flow of python-quickbooks' own integration test (tests/integration/
        test_invoice.py), which runs against Intuit's sandbox."""
        customer = Customer()
        customer.DisplayName = "Amy's Bird Sanctuary"
        customer.save(qb=qb)
        invoice = Invoice()
        line = SalesItemLine()
        line.LineNum = 1
        line.Description = "description"
        line.Amount = 100
        line.SalesItemLineDetail = SalesItemLineDetail()
        line.SalesItemLineDetail.ItemRef = Item.all(max_results=1, qb=qb)[0].to_ref()
        invoice.Line.append(line)
        invoice.CustomerRef = customer.to_ref()
        invoice.CustomerMemo = CustomerMemo()
        invoice.CustomerMemo.value = "Customer Memo"
        invoice.save(qb=qb, request_id="py-qb-invoice-1")

        fetched = Invoice.get(invoice.Id, qb=qb)
        assert fetched.CustomerRef.name == "Amy's Bird Sanctuary"
        assert fetched.CustomerMemo.value == "Customer Memo"
        assert fetched.Line[0].Description == "description"
        assert fetched.Line[0].Amount == 100.0

        again = Invoice()
        again.Line, again.CustomerRef = invoice.Line, invoice.CustomerRef
        again.save(qb=qb, request_id="py-qb-invoice-1")
        assert again.Id == invoice.Id  # requestid replay, as its idempotence test expects

        found = Customer.filter(DisplayName="Amy's Bird Sanctuary", qb=qb)
        assert [c.Id for c in found] == [customer.Id]
        fetched.delete(qb=qb)
        assert Invoice.filter(Id=invoice.Id, qb=qb) == []

    def test_its_error_handling_reads_the_faults(self, qb: QuickBooks) -> None:
        first = Customer()
        first.DisplayName = "Weiskopf Consulting"
        first.save(qb=qb)
        duplicate = Customer()
        duplicate.DisplayName = "Weiskopf Consulting"
        with pytest.raises(QuickbooksException) as raised:
            duplicate.save(qb=qb)
        assert raised.value.error_code == 6240
