"""Building blocks shared by every QBO wire model: base config, references, addresses, money."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, ClassVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_pascal


def _to_utc(value: datetime) -> datetime:
    # QBO answers in US Pacific time with an explicit offset; we keep UTC everywhere.
    return value.astimezone(UTC)


# Money and quantities: Decimal end to end. Responses are decoded with parse_float=Decimal
# (see quickbooks.wire), so a value never passes through a binary float.
Money = Annotated[Decimal, Field(allow_inf_nan=False)]
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]


class QboModel(BaseModel):
    """PascalCase on the wire, snake_case in Python; unknown wire fields are dropped."""

    model_config = ConfigDict(
        alias_generator=to_pascal,
        populate_by_name=True,
        serialize_by_alias=True,
        extra="ignore",
    )


class Ref(QboModel):
    """ReferenceType: ``value`` (an Id, or an ISO code for currencies) and an optional name.

    These are XML attributes/text in Intuit's schema, hence lower-case keys in JSON.
    """

    value: str = Field(alias="value")
    name: str | None = Field(default=None, alias="name")
    type: str | None = Field(default=None, alias="type")


class MemoRef(QboModel):
    value: str = Field(alias="value")


class EmailAddress(QboModel):
    address: str | None = None


class TelephoneNumber(QboModel):
    free_form_number: str | None = None


class WebSiteAddress(QboModel):
    uri: str | None = Field(default=None, alias="URI")


class PhysicalAddress(QboModel):
    id: str | None = None
    line1: str | None = None
    line2: str | None = None
    line3: str | None = None
    line4: str | None = None
    line5: str | None = None
    city: str | None = None
    country: str | None = None
    country_sub_division_code: str | None = None
    postal_code: str | None = None
    lat: str | None = None
    long: str | None = None


class MetaData(QboModel):
    create_time: UtcDatetime | None = None
    last_updated_time: UtcDatetime | None = None


class QboEntity(QboModel):
    """Fields every QBO entity has. ``Id`` and ``SyncToken`` stay strings (``"0"``, not 0)."""

    entity_name: ClassVar[str] = ""

    id: str | None = None
    sync_token: str | None = None
    meta_data: MetaData | None = None
    domain: str | None = Field(default=None, alias="domain")
    sparse: bool | None = Field(default=None, alias="sparse")
    # "Deleted" on the answer to a delete; otherwise absent.
    status: str | None = Field(default=None, alias="status")

    @classmethod
    def url_segment(cls) -> str:
        """The lower-case path segment: ``/v3/company/{realm}/customer``."""
        return cls.entity_name.lower()


class WritableEntity(QboEntity):
    """An entity this client creates and updates."""


class NameListEntity(WritableEntity):
    """Customer, Item, Account, Vendor: never deleted, only deactivated (``Active=false``)."""

    active: bool | None = None


class TransactionEntity(WritableEntity):
    """Invoice, Payment: may be deleted with ``operation=delete``."""

    doc_number: str | None = None
    txn_date: date | None = None
    currency_ref: Ref | None = None
    exchange_rate: Decimal | None = None
    private_note: str | None = None
    total_amt: Money | None = None
