"""Driving the hosted account pages over HTTP (sign-up, confirmation, password reset): a pool,
client and domain from tests/support/hosted.py, the authorization request every page carries,
and posting a page's form by its id with its hidden fields (the CSRF token) kept."""

from __future__ import annotations

import html.parser
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import httpx
from tests.support.hosted import Hosted, make_hosted
from tests.support.live import Server

PASSWORD = "Correct-horse-1"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636 appendix B


def hosted_client(server: Server, pool: dict[str, Any] | None = None, **client: Any) -> Hosted:
    """tests/support/hosted.py's pool (`pool`: CreateUserPool overrides), app client for the
    code flow with the scopes openid, email and profile (`client`: CreateUserPoolClient
    overrides) and domain."""
    return make_hosted(server, scopes=["openid", "email", "profile"], pool=pool, **client)


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)  # named inputs with their values
    types: dict[str, str] = field(default_factory=dict)
    autocomplete: dict[str, str] = field(default_factory=dict)


class _Forms(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", "")))
        elif tag == "input" and self.forms and a.get("name"):
            form = self.forms[-1]
            form.fields[a["name"]] = a.get("value", "")
            form.types[a["name"]] = a.get("type", "text")
            form.autocomplete[a["name"]] = a.get("autocomplete", "")


def forms_of(page: str) -> list[Form]:
    parser = _Forms()
    parser.feed(page)
    return parser.forms


def page_url(hosted: Hosted, path: str, **extra: str) -> str:
    """A page of the domain (by path prefix) with a code + PKCE authorization request."""
    query = {
        "client_id": hosted.client_id,
        "response_type": "code",
        "redirect_uri": hosted.redirect_uri,
        "scope": "openid email",
        "state": "st",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
        **extra,
    }
    return f"{hosted.by_path}{path}?{urllib.parse.urlencode(query)}"


def submit(http: httpx.Client, page: httpx.Response, form_id: str, **fields: str) -> httpx.Response:
    """Posts the form `form_id` of `page` (its hidden fields, CSRF token included) with
    `fields` filled in, and follows the pages' own redirects (303) to the page they show."""
    marker = f'<form id="{form_id}"'
    assert marker in page.text, page.text[:3000]
    index = page.text[: page.text.index(marker)].count("<form ")
    form = forms_of(page.text)[index]
    target = urllib.parse.urljoin(str(page.url), form.action)
    answer = http.post(target, data={**form.fields, **fields})
    # Post/redirect/get within the pages (a redirect to the client's callback is returned).
    here = urllib.parse.urlsplit(str(page.url)).netloc
    while answer.status_code == 303:
        location = urllib.parse.urljoin(str(answer.url), answer.headers["location"])
        if urllib.parse.urlsplit(location).netloc != here:
            break
        answer = http.get(location)
    return answer
