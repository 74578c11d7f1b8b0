"""Stub Aforo services (org, metering, rate plans, payments) serving the real paths and JSON.

Not QuickBooks: they stand in for the Aforo platform next to the emulator so that a client
of both (qbsync) runs end to end on one machine. They share no code with any client, so a
client that reads what the stubs write reads what the real services write.
"""

from qbo_emulator.aforo.control import AforoStubControl
from qbo_emulator.aforo.schemas import (
    StubCustomer,
    StubInvoice,
    StubInvoiceLine,
    StubPayment,
    StubRatePlan,
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
    "StubCustomer",
    "StubInvoice",
    "StubInvoiceLine",
    "StubPayment",
    "StubRatePlan",
    "StubRequest",
    "StubService",
    "aforo_stub_router",
    "to_json",
]
