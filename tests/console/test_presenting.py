"""How the console presents what the API answers: hints, steps, token health, ETA, charts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from jinja2 import ChainableUndefined

from qbsync.console.charts import Series, nice_max, stacked_bars
from qbsync.console.connection import token_health
from qbsync.console.records import console_steps, entity_number, split_hint
from qbsync.console.settings import describe, field_errors, options, settings_from_form
from qbsync.console.templating import ago, due, templates
from qbsync.console.work import budget_view, eta, eta_text

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "QuickBooks answered HTTP 503 — temporary failure",
            ("QuickBooks answered HTTP 503", "temporary failure"),
        ),
        ("a — b — rename one", ("a — b", "rename one")),
        ("no hint here", ("no hint here", None)),
        (None, (None, None)),
    ],
)
def test_split_hint(message: str | None, expected: tuple[str | None, str | None]) -> None:
    assert split_hint(message) == expected


def test_steps_name_the_console_buttons_not_the_routes() -> None:
    steps = [
        "Then retry: POST /api/quickbooks/sync-logs/17/retry.",
        "Then replay it: POST /api/quickbooks/dead-letters/abc-1/replay.",
        "Then retry the record: POST /api/quickbooks/sync-logs/{id}/retry or the manual sync route.",
        "Force a resync (POST /api/quickbooks/records/INVOICE/invoice-7/resync, or Force resync"
        " in the console); with webhooks qbsync does it by itself.",
    ]
    assert console_steps(steps) == [
        "Then retry: “Retry now”.",
        "Then replay it: “Replay”.",
        "Then retry the record: “Retry now”.",
        "Force a resync (“Force resync”); with webhooks qbsync does it by itself.",
    ]


@pytest.mark.parametrize(
    ("aforo_id", "number"),
    [("CUST-5", "5"), ("invoice-101", "101"), ("payment-PAY-1001", "PAY-1001"), ("7", "7")],
)
def test_entity_number(aforo_id: str, number: str) -> None:
    assert entity_number(aforo_id) == number


@pytest.mark.parametrize(
    ("status", "level"),
    [
        ({"connected": False, "status": "DISCONNECTED"}, "bad"),
        ({"connected": False, "status": "NEEDS_REAUTH"}, "bad"),
        (
            {
                "connected": True,
                "status": "ACTIVE",
                "refreshTokenExpiresAt": "2027-03-01T00:00:00+00:00",
            },
            "ok",
        ),
        (
            {
                "connected": True,
                "status": "ACTIVE",
                "refreshTokenExpiresAt": "2026-12-05T00:00:00+00:00",
            },
            "warn",
        ),
        (
            {
                "connected": True,
                "status": "ACTIVE",
                "refreshTokenHardExpiresAt": "2026-12-01T00:00:00+00:00",
            },
            "warn",
        ),
    ],
)
def test_token_health(status: dict[str, object], level: str) -> None:
    assert token_health(status, NOW)[0] == level


def test_eta_follows_the_pace_so_far() -> None:
    job = {
        "done": 30,
        "skipped": 10,
        "failed": 0,
        "pending": 60,
        "createdAt": (NOW - timedelta(minutes=4)).isoformat(),
    }
    assert eta(job, NOW) == timedelta(minutes=6)
    assert eta_text(eta(job, NOW)) == "about 6 min"
    assert eta({**job, "done": 0, "skipped": 0}, NOW) is None  # no pace yet
    assert eta({**job, "pending": 0}, NOW) is None
    assert eta_text(timedelta(hours=2, minutes=5)) == "about 2 h 5 min"


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (NOW - timedelta(seconds=2), "just now"),
        (NOW - timedelta(seconds=40), "40 s ago"),
        (NOW - timedelta(minutes=3, seconds=5), "3 min ago"),
        (NOW + timedelta(days=2, hours=1), "in 2 d"),
        (None, "—"),
    ],
)
def test_ago(moment: datetime | None, text: str) -> None:
    assert ago(moment, NOW) == text


def test_work_that_may_run_is_due_now() -> None:
    assert due(NOW - timedelta(seconds=30), NOW) == "due now"
    assert due(NOW + timedelta(minutes=2), NOW) == "in 2 min"
    assert due(None, NOW) == "—"


@pytest.mark.parametrize(
    ("value", "top"), [(0, 1), (1, 1), (3, 5), (7, 10), (12, 20), (480, 500), (1000, 1000)]
)
def test_nice_max(value: int, top: int) -> None:
    assert nice_max(value) == top


def test_bars_stack_the_series_in_order_to_scale() -> None:
    series = [Series("OK", "Succeeded", "green"), Series("BAD", "Failed", "red")]
    chart = stacked_bars([("09:00", {"OK": 6, "BAD": 4}), ("10:00", {})], series, height=124)
    plot_height = 124 - 10 - 24
    ok, bad = chart.bars
    assert (ok.color, bad.color) == ("green", "red")
    assert ok.height == pytest.approx(plot_height * 0.6)
    assert bad.y + bad.height == pytest.approx(ok.y)  # stacked on top
    assert ok.y + ok.height == pytest.approx(chart.bottom)
    assert ok.title == "09:00: 6 succeeded"
    assert [tick.label for tick in chart.y_ticks] == ["0", "5", "10"]
    assert chart.total == 10


@pytest.mark.parametrize("operator", [False, True], ids=["tenant", "operator"])
def test_operator_only_actions_are_offered_to_operators_only(operator: bool) -> None:
    """Discard and replay-all answer 403 to tenants in the API; the console must not offer them."""
    env = templates.env.overlay(undefined=ChainableUndefined)
    person = SimpleNamespace(operator=operator, subject="someone", organization_id=5)
    parked = {"reason": "r", "errorCode": "e", "parkedAt": None, "messageId": "m-1"}
    work = env.get_template("work.html").render(
        person=person,
        org=5,
        csrf="c",
        parked={"count": 1, "items": [{**parked, "entityType": "invoice", "entityId": "1"}]},
        queues=None,
    )
    record = env.get_template("record.html").render(
        person=person, org=5, csrf="c", url="/u", diagnosis={"deadLetters": [parked]}
    )
    assert ("Replay all" in work) is operator
    assert ("Discard" in record) is operator
    assert ">Replay<" in record  # replaying one's own parked message stays a tenant's action


def test_the_settings_form_replaces_what_it_shows_and_keeps_the_rest() -> None:
    saved = {"incomeAccountId": "1", "paymentMethodIds": {"ach": "2"}, "futureField": "kept"}
    form = {
        "incomeAccountId": "",  # back to automatic
        "depositAccountId": "35",
        "paymentTermsDays": "15",
        "draftInvoices": "sync",
        "paymentMethodIds.k.0": "ach",
        "paymentMethodIds.v.0": "",  # emptied: removed
        "paymentMethodIds.k.1": " card ",
        "paymentMethodIds.v.1": "3",
        "paymentMethodIds.k.2": "",
        "paymentMethodIds.v.2": "4",  # no Aforo value: ignored
    }
    body = settings_from_form(form, saved)
    assert body["incomeAccountId"] is None
    assert body["depositAccountId"] == "35"
    assert body["paymentTermsDays"] == 15
    assert body["draftInvoices"] == "sync"
    assert body["paymentMethodIds"] == {"card": "3"}
    assert body["futureField"] == "kept"


def test_each_refused_field_gets_its_reason() -> None:
    message = (
        "depositAccountId: '7' is not an active deposit account of this QuickBooks company; "
        "paymentMethodIds.card: '999' is not an active payment method of this QuickBooks company; "
        "taxCodeIds/defaultTaxCodeId: this company does not use sales tax; leave them empty"
    )
    errors = field_errors(message)
    assert set(errors) == {"depositAccountId", "paymentMethodIds", "taxCodeIds", "defaultTaxCodeId"}
    assert errors["taxCodeIds"] == ["this company does not use sales tax; leave them empty"]


def test_a_logged_setting_reads_with_the_companys_names() -> None:
    choices = {"paymentMethods": [{"id": "3", "name": "Visa", "type": "CREDIT_CARD"}]}
    assert describe("paymentMethodIds", {"card": "3"}, choices) == "card → Visa (CREDIT_CARD)"
    assert describe("depositAccountId", None, choices) == "—"
    assert describe("draftInvoices", "sync", None) == "sync"
    saved_elsewhere = options([{"id": "1", "name": "Sales"}], "9")
    assert saved_elsewhere[-1] == ("9", "9 (not active in QuickBooks)")


def test_the_read_budget_gauge_places_use_forecast_and_thresholds() -> None:
    body = {
        "month": "2026-12",
        "used": 100_000,
        "forecast": 600_000,  # beyond the budget: drawn to its end
        "budget": 500_000,
        "softThreshold": 400_000,
        "hardThreshold": 475_000,
        "state": "ok",
        "organizations": [{"organizationId": 5, "reads": 10, "byKind": {"query": 10}}],
    }
    view = budget_view(body, 5)
    assert view["mine"]["reads"] == 10
    g = view["gauge"]
    assert (g.used, g.forecast) == (192.0, 960.0)
    assert [(m.label, m.at) for m in g.marks] == [
        ("optional reads wait", 768.0),
        ("only reads writes need", 912.0),
    ]
    assert budget_view({**body, "budget": None}, 6)["gauge"] is None  # no budget: no gauge
