"""Server-rendered pages of the worksheet: Jinja2 templates (autoescaped) and the headers every
page carries (no caching, a strict Content-Security-Policy, no Referer, so that nothing from a
page, not even the authorization code in the callback's URL, travels elsewhere)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

HERE = Path(__file__).parent
ENV = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    html = ENV.get_template(template).render(static=_static(request), **context)
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


def message(
    request: Request, status: int, title: str, text: str, *, again: bool = False
) -> Response:
    """A page saying what happened, in plain words."""
    return page(request, "message.html", status, title=title, text=text, again=again)


def fragment(template: str, status: int = 200, **context: Any) -> Response:
    html = ENV.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


def _static(request: Request) -> str:
    root = request.scope.get("root_path", "")
    return f"{root}/smart/static"


def with_headers(response: Response) -> Response:
    response.headers.update(PAGE_HEADERS)
    return response


def sentence(text: str) -> str:
    """``text`` as a sentence: first letter capital, a final full stop."""
    text = text.strip().rstrip(".")
    return f"{text[:1].upper()}{text[1:]}."
