"""The Fault envelope QBO answers errors with (``Fault/Error``; gateways use lower case)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field

from qbsync.quickbooks.schemas.base import QboModel


def _as_text(value: object) -> object:
    # Codes are strings ("6240"), but some gateway bodies carry numbers.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class FaultError(QboModel):
    """One error: ``code`` and ``element`` are XML attributes, hence lower-case in JSON."""

    message: str | None = None
    detail: str | None = None
    code: Annotated[str | None, BeforeValidator(_as_text)] = Field(default=None, alias="code")
    element: str | None = Field(default=None, alias="element")


class Fault(QboModel):
    """``type``: ValidationFault, SystemFault, AuthenticationFault, SERVICE, AUTHENTICATION…"""

    error: list[FaultError] = Field(default_factory=list)
    type: str | None = Field(default=None, alias="type")
