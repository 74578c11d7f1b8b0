"""Intuit's deliveries as the emulator makes them (sent twice, events shuffled), into a
served qbsync: every delivery answered 200, each change handled once."""

from __future__ import annotations

from sqlalchemy import select

from qbo_emulator.server import serve_in_thread
from qbo_emulator.webhooks.subscription import Subscription
from qbsync.app import create_app
from qbsync.reconcile.models import Mismatch
from qbsync.reconcile.work import CHANGE_KIND
from qbsync.sync.engine import sync
from tests.reconcile.conftest import VERIFIER_TOKEN, drain, pending_of


async def test_duplicated_and_shuffled_deliveries_are_handled_once(
    settings, sessionmaker, resources, deps, org, aforo, emulator_control
) -> None:
    customer = await aforo.customer()
    invoice = await aforo.invoice(customer)
    async with sessionmaker.begin() as session:
        result = await sync(
            session, deps, organization_id=org.organization_id, kind="invoice", aforo_id=invoice.id
        )
    qbo_id = result.quickbooks_id
    assert qbo_id is not None
    with serve_in_thread(create_app(settings)) as url:
        await emulator_control.subscribe_webhooks(
            f"reconcile-{org.organization_id}",
            Subscription(
                url=f"{url}/api/quickbooks/webhook/intuit",
                verifier_token=VERIFIER_TOKEN,
                realm_ids=[org.realm_id],
                duplicate_rate=1.0,
                reorder_rate=1.0,
                batch_window_s=0.3,
                random_seed=3,
            ),
        )
        for due in ("2027-01-15", "2027-01-31"):
            await emulator_control.person_edit(org.realm_id, "Invoice", qbo_id, {"DueDate": due})
        name = f"reconcile-{org.organization_id}"
        assert await emulator_control.drain_webhooks(name)
        deliveries = await emulator_control.webhook_deliveries(name)
        await emulator_control.http.delete(f"{emulator_control.base_url}/_emulator/webhooks/{name}")
    assert {d.status for d in deliveries} == {200}
    assert any(d.duplicate for d in deliveries)
    work = await pending_of(sessionmaker, org.organization_id, kind=CHANGE_KIND)
    assert [w.aforo_id for w in work] == [f"Invoice:{qbo_id}"]
    await drain(resources, sessionmaker, org.organization_id)
    async with sessionmaker() as session:
        found = [
            (m.kind, m.quickbooks_value)
            for m in await session.scalars(
                select(Mismatch).where(Mismatch.organization_id == org.organization_id)
            )
        ]
    assert found == [("DATES", "2026-10-31 / 2027-01-31")]
