"""Stub Aforo services (org, metering, rate plans, payments) serving the real paths and JSON,
and qbsync's contracts ahead of them (credit notes, refunds, invoice currency and tax).

Not QuickBooks: they stand in for the Aforo platform next to the emulator so that a client
of both (qbsync) runs end to end on one machine. They share no code with any client, so a
client that reads what the stubs write reads what the real services write.
"""

from qbo_emulator.aforo.control import AforoStubControl
from qbo_emulator.aforo.schemas import (
    StubCreditNote,
    StubCreditNoteLine,
    StubCustomer,
    StubInvoice,
    StubInvoiceLine,
    StubPayment,
    StubRatePlan,
    StubRefund,
    StubRequest,
    StubService,
    to_json,
)
from qbo_emulator.aforo.service import aforo_stub_router
from qbo_emulator.aforo.store import SEED_ORG_ID, AforoStubStore

__all__ = [
    "SEED_ORG_ID",
    "AforoStubControl",
    "AforoStubStore",
    "StubCreditNote",
    "StubCreditNoteLine",
    "StubCustomer",
    "StubInvoice",
    "StubInvoiceLine",
    "StubPayment",
    "StubRatePlan",
    "StubRefund",
    "StubRequest",
    "StubService",
    "aforo_stub_router",
    "to_json",
]
