"""What the sync log keeps of a payload: secrets dropped, e-mail and phone masked."""

from __future__ import annotations

from typing import Any

import pytest

from qbsync.quickbooks.schemas import Customer
from qbsync.sync.redact import redact

CASES: dict[str, tuple[dict[str, Any] | None, dict[str, Any] | None]] = {
    "nothing": (None, None),
    "secrets by key, at any depth": (
        {"refresh_token": "r", "Auth": {"Authorization": "Bearer x", "clientSecret": "s"}},
        {
            "refresh_token": "[redacted]",
            "Auth": {"Authorization": "[redacted]", "clientSecret": "[redacted]"},
        },
    ),
    "e-mail keeps two letters and the domain": (
        {"PrimaryEmailAddr": {"Address": "bruce@wayne.example"}},
        {"PrimaryEmailAddr": {"Address": "br***@wayne.example"}},
    ),
    "phone keeps the last two digits": (
        {"PrimaryPhone": {"FreeFormNumber": "+1 (555) 010-4477"}},
        {"PrimaryPhone": {"FreeFormNumber": "***77"}},
    ),
    "a phone without digits": (
        {"PrimaryPhone": {"FreeFormNumber": "n/a"}},
        {"PrimaryPhone": {"FreeFormNumber": "***"}},
    ),
    "lists are walked": (
        {"Line": [{"Amount": "10.00", "token": "t"}]},
        {"Line": [{"Amount": "10.00", "token": "[redacted]"}]},
    ),
    "an Address that is not an e-mail is kept": (
        {"BillAddr": {"Address": "1007 Mountain Drive"}},
        {"BillAddr": {"Address": "1007 Mountain Drive"}},
    ),
}


@pytest.mark.parametrize(("payload", "kept"), list(CASES.values()), ids=list(CASES))
def test_redact(payload: dict[str, Any] | None, kept: dict[str, Any] | None) -> None:
    assert redact(payload) == kept


def test_a_model_is_dumped_as_qbo_json_first() -> None:
    customer = Customer.model_validate(
        {"DisplayName": "Wayne", "PrimaryEmailAddr": {"Address": "bruce@wayne.example"}}
    )
    assert redact(customer) == {
        "DisplayName": "Wayne",
        "PrimaryEmailAddr": {"Address": "br***@wayne.example"},
    }


def test_a_model_and_its_dump_are_redacted_alike_and_a_callers_dict_is_left_alone() -> None:
    customer = Customer.model_validate(
        {
            "DisplayName": "Wayne",
            "PrimaryEmailAddr": {"Address": "bruce@wayne.example"},
            "PrimaryPhone": {"FreeFormNumber": "+1 (555) 010-4477"},
            "BillAddr": {"Line1": "1007 Mountain Drive"},
        }
    )
    dumped = customer.model_dump(mode="json", by_alias=True, exclude_none=True)
    before = repr(dumped)
    assert redact(customer) == redact(dumped)
    assert repr(dumped) == before
    assert redact(customer)["PrimaryPhone"] == {"FreeFormNumber": "***77"}  # type: ignore[index]
