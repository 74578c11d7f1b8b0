"""What every console page shares: its URLs and its template context."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from qbsync.console.session import Console
from qbsync.console.templating import render

# A record kind's URL slug and the entity type the API names it by.
KINDS = {"customers": "CUSTOMER", "invoices": "INVOICE", "payments": "PAYMENT"}


def kind_slug(entity_type: str) -> str:
    return next((slug for slug, kind in KINDS.items() if kind == entity_type), "customers")


def org_page_url(org: int, section: str, *parts: str) -> str:
    return "/".join([f"/console/orgs/{org}/{section}", *(quote(part, safe="") for part in parts)])


def page_context(ctx: Console, org: int, section: str, **extra: Any) -> dict[str, Any]:
    return {"person": ctx.person, "csrf": ctx.csrf, "org": org, "section": section, **extra}


def render_page(
    request: Request,
    ctx: Console,
    org: int,
    section: str,
    template: str,
    *,
    regions: dict[str, str] | None = None,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    """The whole page, or only the region an htmx request aims at (``regions``: element id →
    template of that region)."""
    name = (regions or {}).get(request.headers.get("hx-target", ""), template)
    return render(request, name, page_context(ctx, org, section, **extra), status_code=status_code)
