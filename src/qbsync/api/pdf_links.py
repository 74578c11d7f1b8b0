"""Signed, expiring invoice-PDF links that work without headers (the UI opens them in a tab).

The original accepted ``?organizationId=`` alone, which made every mapped PDF an
unauthenticated, enumerable read. The UI treats ``pdfUrl`` as opaque, so we add an expiry
and an HMAC over what the link grants; the key is derived from the platform's JWT secret
so that no new secret has to be provisioned, and it is not the JWT key itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from pydantic import SecretStr

from qbsync.api.errors import PdfLinkExpired, PdfLinkInvalid

PDF_PATH = "/api/quickbooks/invoices/{qbo_id}/pdf"
_KEY_LABEL = b"qbsync-pdf-link/v1"


@dataclass(frozen=True)
class PdfLinks:
    view: str
    download: str


def derive_key(jwt_secret: SecretStr) -> bytes:
    return hmac.new(jwt_secret.get_secret_value().encode(), _KEY_LABEL, hashlib.sha256).digest()


def signature(
    key: bytes, *, qbo_id: str, organization_id: int, expires_at: int, download: bool
) -> str:
    # Newline-separated: no field can contain one (ids are digits, QBO ids are checked),
    # so two different grants can never produce the same message.
    message = f"{qbo_id}\n{organization_id}\n{expires_at}\n{int(download)}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def signed_path(
    key: bytes, *, qbo_id: str, organization_id: int, expires_at: int, download: bool
) -> str:
    """A relative URL: the UI prefixes it with the host it knows."""
    params: dict[str, str | int] = {"organizationId": organization_id, "exp": expires_at}
    params["sig"] = signature(
        key,
        qbo_id=qbo_id,
        organization_id=organization_id,
        expires_at=expires_at,
        download=download,
    )
    if download:
        params["download"] = "true"
    return f"{PDF_PATH.format(qbo_id=quote(qbo_id, safe=''))}?{urlencode(params)}"


def pdf_links(key: bytes, *, qbo_id: str, organization_id: int, expires_at: int) -> PdfLinks:
    return PdfLinks(
        view=signed_path(
            key,
            qbo_id=qbo_id,
            organization_id=organization_id,
            expires_at=expires_at,
            download=False,
        ),
        download=signed_path(
            key,
            qbo_id=qbo_id,
            organization_id=organization_id,
            expires_at=expires_at,
            download=True,
        ),
    )


def verify(
    key: bytes,
    *,
    qbo_id: str,
    organization_id: int,
    expires_at: int,
    download: bool,
    sig: str,
    now: int,
) -> None:
    """The signature first: an expiry is only worth reporting on a genuine link."""
    expected = signature(
        key,
        qbo_id=qbo_id,
        organization_id=organization_id,
        expires_at=expires_at,
        download=download,
    )
    if not hmac.compare_digest(expected.encode(), sig.encode()):
        raise PdfLinkInvalid(
            "this PDF link is not valid", hint="open the invoice list again for a fresh link"
        )
    if expires_at <= now:
        raise PdfLinkExpired(
            "this PDF link has expired", hint="open the invoice list again for a fresh link"
        )
