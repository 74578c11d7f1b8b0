"""The small HTML pages the browser tab shows before Intuit (start) and after its redirect."""

from __future__ import annotations

from html import escape

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body {{ font-family: system-ui, sans-serif; background: #f6f7f9; color: #1f2933; }}
 main {{ max-width: 32rem; margin: 15vh auto; background: #fff; padding: 2rem 2.5rem;
        border-radius: 12px; box-shadow: 0 1px 4px rgba(0,0,0,.08); }}
 h1 {{ font-size: 1.35rem; margin: 0 0 .75rem; color: {colour}; }}
 p {{ line-height: 1.5; }} .hint {{ color: #52606d; font-size: .95rem; }}
 a.go {{ display: inline-block; margin-top: .5rem; padding: .6rem 1.2rem; border-radius: 8px;
         background: #2c6ecb; color: #fff; text-decoration: none; }}
</style></head>
<body><main><h1>{title}</h1><p>{message}</p>{hint}{action}</main></body></html>
"""


def render_page(
    *,
    ok: bool,
    title: str,
    message: str,
    hint: str | None = None,
    action: tuple[str, str] | None = None,
) -> str:
    """``action`` is a (label, URL) button."""
    return _PAGE.format(
        title=escape(title),
        colour="#127a3f" if ok else "#b3261e",
        message=escape(message),
        hint=f'<p class="hint">{escape(hint)}</p>' if hint else "",
        action=f'<p><a class="go" href="{escape(action[1])}">{escape(action[0])}</a></p>'
        if action
        else "",
    )
