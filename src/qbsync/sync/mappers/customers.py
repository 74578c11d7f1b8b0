"""Aforo customer -> QBO Customer."""

from __future__ import annotations

import re

from qbsync.aforo.orgs import AforoCustomer
from qbsync.ids import IdCodec
from qbsync.quickbooks.schemas import EmailAddress, PhysicalAddress, TelephoneNumber
from qbsync.quickbooks.schemas.names import Customer
from qbsync.sync.mappers.text import DISPLAY_NAME_MAX, clean_name, clean_text, with_suffix

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EMAIL_MAX = 100


# The ids the original service stored in quickbooks_mapping (operators know them).
CUSTOMER_IDS = IdCodec("CUST-")


def base_display_name(customer: AforoCustomer) -> str:
    for candidate in (customer.customer_name, customer.company_name):
        name = clean_name(candidate, max_len=DISPLAY_NAME_MAX)
        if name:
            return name
    return f"Aforo customer {customer.customer_id}"


def suffixed_display_name(customer: AforoCustomer) -> str:
    """The deterministic alternative when the plain name belongs to someone else."""
    return with_suffix(
        base_display_name(customer),
        CUSTOMER_IDS.format(customer.customer_id),
        max_len=DISPLAY_NAME_MAX,
    )


def _email(value: str | None) -> EmailAddress | None:
    # Too long is dropped, not cut: a cut address would still look valid and reach a stranger.
    text = clean_text(value, max_len=EMAIL_MAX + 1)
    if text and len(text) <= EMAIL_MAX and _EMAIL.match(text):
        return EmailAddress(address=text)
    return None


def _phone(value: str | None) -> TelephoneNumber | None:
    text = clean_text(value, max_len=30)
    return TelephoneNumber(free_form_number=text) if text else None


def _address(
    line1: str | None,
    line2: str | None,
    city: str | None,
    state: str | None,
    postal_code: str | None,
    country: str | None,
) -> PhysicalAddress | None:
    address = PhysicalAddress(
        line1=clean_text(line1, max_len=500),
        line2=clean_text(line2, max_len=500),
        city=clean_text(city, max_len=255),
        country_sub_division_code=clean_text(state, max_len=255),
        postal_code=clean_text(postal_code, max_len=30),
        country=clean_text(country, max_len=255),
    )
    return address if address.model_dump(exclude_none=True) else None


def billing_address(customer: AforoCustomer) -> PhysicalAddress | None:
    own = customer_address(customer)
    if customer.billing_same_as_customer:
        return own
    billing = _address(
        customer.billing_address_line1,
        customer.billing_address_line2,
        customer.billing_city,
        customer.billing_state,
        customer.billing_postal_code,
        customer.billing_country,
    )
    return billing or own


def customer_address(customer: AforoCustomer) -> PhysicalAddress | None:
    return _address(
        customer.customer_address_line1,
        customer.customer_address_line2,
        customer.customer_city,
        customer.customer_state,
        customer.customer_postal_code,
        customer.customer_country,
    )


def map_customer(customer: AforoCustomer, *, display_name: str) -> Customer:
    bill = billing_address(customer)
    ship = customer_address(customer)
    return Customer(
        display_name=display_name,
        company_name=clean_text(customer.company_name, max_len=100),
        primary_email_addr=_email(customer.primary_email),
        primary_phone=_phone(customer.phone_number),
        bill_addr=bill,
        # A separate ship-to only when it differs, as the original service did.
        ship_addr=ship if ship is not None and ship != bill else None,
        notes=f"Aforo customer {CUSTOMER_IDS.format(customer.customer_id)}",
    )


def is_safe_to_adopt(existing: Customer, wanted: Customer, aforo_id: str) -> bool:
    """An unmapped QBO customer with our name is ours to adopt only when something besides
    the name ties it to this Aforo customer: our id in its notes, or the same e-mail."""
    if existing.notes and _mentions(existing.notes, aforo_id):
        return True
    ours = wanted.primary_email_addr.address if wanted.primary_email_addr else None
    theirs = existing.primary_email_addr.address if existing.primary_email_addr else None
    return bool(ours and theirs and ours.strip().casefold() == theirs.strip().casefold())


def _mentions(notes: str, aforo_id: str) -> bool:
    """``aforo_id`` as a whole token: a substring test would let CUST-5 adopt CUST-50's record."""
    pattern = rf"(?<![\w-]){re.escape(aforo_id)}(?![\w-])"
    return re.search(pattern, notes, flags=re.IGNORECASE) is not None
