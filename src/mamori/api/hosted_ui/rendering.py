"""The pages' templates (Jinja2, autoescaped, translated per request) and their stylesheet,
served from the domain with a fingerprint so browsers may cache it for a year."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from mamori.api.hosted_ui import languages
from mamori.api.hosted_ui.headers import secure
from mamori.api.oauth2.context import DomainContext

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


def N_(message: str) -> str:
    """Marks a message for the catalogues (pybabel extract) without translating it: the
    template translates it in the visitor's language (`_(error)`)."""
    return message


# What a social provider's button calls it: its pool name is its type's, which reads badly
# ("Sign in with SignInWithApple"); Cognito's buttons say Apple and Amazon. Other providers
# (OIDC, SAML) are shown by the name their owner gave them.
_PROVIDER_LABELS = {"LoginWithAmazon": "Amazon", "SignInWithApple": "Apple"}


def provider_label(name: str) -> str:
    return _PROVIDER_LABELS.get(name, name)


def environment() -> Environment:
    """A template environment without translations (one per language is built from it by
    `_language_environment`); it depends on nothing but the package's files."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n", "jinja2.ext.do"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    env.globals["provider_label"] = provider_label
    return env


@functools.cache
def _language_environment(code: str) -> Environment:
    """The templates with one language's gettext installed, built on first use.

    One whole environment per language, not overlays of one: an overlay shares its parent's
    globals and its i18n installer writes to the parent's, so the last language installed
    would have shown in every page."""
    env = environment()
    env.install_gettext_translations(  # type: ignore[attr-defined]
        languages.translations(code), newstyle=True
    )
    return env


def render_template(
    template: str, lang: str, values: Mapping[str, Any], status: int = 200
) -> Response:
    """A template rendered in `lang`, with the security headers."""
    body = _language_environment(lang).get_template(template).render(lang=lang, **values)
    return secure(HTMLResponse(body, status_code=status))


@functools.cache
def static_file(name: str) -> tuple[bytes, str] | None:
    """(content, fingerprint) of a file under static/, None when there is none."""
    if "/" in name or "\\" in name or name.startswith("."):
        return None
    path = STATIC / name
    if not path.is_file():
        return None
    content = path.read_bytes()
    return content, hashlib.sha256(content).hexdigest()[:16]


def static_url(ctx: DomainContext, name: str) -> str:
    """A static file's URL with its fingerprint (`?v=`): a changed file gets a new URL, so
    the browser may keep each version for a year."""
    found = static_file(name)
    return ctx.url(f"/static/{name}", {"v": found[1] if found else "0"})


async def serve_static(request: Request) -> Response:
    """`GET /static/{name}`: the stylesheets under static/ (nothing else is served)."""
    name = request.path_params["name"]
    found = static_file(name) if name.endswith(".css") else None
    if found is None:
        return secure(Response("Not found", status_code=404, media_type="text/plain"))
    content, fingerprint = found
    response = secure(Response(content, media_type="text/css; charset=utf-8"))
    del response.headers["Pragma"]
    if request.query_params.get("v") == fingerprint:
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    else:
        response.headers["Cache-Control"] = "no-cache"
    return response
