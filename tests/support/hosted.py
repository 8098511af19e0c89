"""A pool with a hosted domain for OAuth client tests: the app client (code flow, every standard
scope, callback and logout URLs on a local test app), the domain reached by path prefix
(`<server>/<poolId>`) and by Host (`<prefix>.auth.localhost:<port>`), mamori serving TLS with a
throwaway CA, and a login that fills the hosted form over plain HTTP (httpx)."""

from __future__ import annotations

import dataclasses
import html.parser
import secrets
import ssl
import urllib.parse
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import httpx
from tests.support.factories import make_client, make_pool
from tests.support.live import REGION, Server, run_server
from tests.support.tls import Authority

AUTH_DOMAIN = "auth.localhost"
OAUTH_SCOPES = ["openid", "email", "profile", "phone", "aws.cognito.signin.user.admin"]


@dataclass
class Hosted:
    """One app client on a pool with a domain."""

    server: Server
    pool_id: str
    client_id: str
    client_secret: str | None = field(repr=False)
    prefix: str  # the domain: a prefix, or a custom domain's full name
    redirect_uri: str
    logout_uri: str
    ca: Path | None = None  # the CA the server's certificate chains to (TLS servers only)

    @property
    def _split(self) -> urllib.parse.SplitResult:
        return urllib.parse.urlsplit(self.server.url)

    @property
    def issuer(self) -> str:
        return f"{self.server.url}/{self.pool_id}"

    @property
    def by_path(self) -> str:
        """The domain's root by path prefix: any host, `/<poolId>/...`."""
        return f"{self.server.url}/{self.pool_id}"

    @property
    def host(self) -> str:
        """host:port of the domain by Host (browsers resolve *.localhost to loopback): the
        prefix under the auth domain, or a custom domain's full name."""
        name = self.prefix if "." in self.prefix else f"{self.prefix}.{AUTH_DOMAIN}"
        return f"{name}:{self._split.port}"

    @property
    def by_host(self) -> str:
        return f"{self._split.scheme}://{self.host}"

    def verify(self) -> ssl.SSLContext | bool:
        """httpx's `verify` for this server: its CA when it speaks TLS."""
        return ssl.create_default_context(cafile=str(self.ca)) if self.ca else True

    def http(self, **options: Any) -> httpx.Client:
        """An httpx client that reaches *.localhost on loopback (as a browser does), keeping
        the Host header, and trusts the test CA; redirects are not followed."""
        return httpx.Client(
            transport=LocalhostTransport(verify=self.verify()), timeout=15, **options
        )


class LocalhostTransport(httpx.HTTPTransport):
    """Connects to 127.0.0.1 for every `*.localhost` name; the Host header keeps the name."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "localhost" or request.url.host.endswith(".localhost"):
            # A copy: the client files the response's cookies under the request it sent.
            request = httpx.Request(
                request.method,
                request.url.copy_with(host="127.0.0.1"),
                headers=request.headers,
                stream=request.stream,
                extensions=request.extensions,
            )
        return super().handle_request(request)


def make_hosted(
    server: Server,
    app_url: str = "http://localhost:3000",
    *,
    pool_id: str | None = None,
    secret: bool = False,
    flows: tuple[str, ...] = ("code",),
    scopes: list[str] | None = None,
    pool: Mapping[str, Any] | None = None,
    ca: Path | None = None,
    custom_domain: str | None = None,
    **client: Any,
) -> Hosted:
    """A pool (or `pool_id`'s), an OAuth app client and a domain for it: `mamori-<hex>` under
    the auth domain, or `custom_domain` (a full name, with a certificate ARN as Cognito asks)."""
    admin = server.admin()
    if pool_id is None:
        pool_id = str(make_pool(server, **(pool or {}))["Id"])
    redirect_uri, logout_uri = f"{app_url}/callback", f"{app_url}/signed-out"
    made = make_client(
        server,
        pool_id,
        GenerateSecret=secret,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=list(flows),
        AllowedOAuthScopes=scopes if scopes is not None else OAUTH_SCOPES,
        CallbackURLs=[redirect_uri],
        LogoutURLs=[logout_uri],
        SupportedIdentityProviders=["COGNITO"],
        **client,
    )
    described = admin.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    prefix = described.get("Domain")
    if not prefix and custom_domain:
        prefix = custom_domain
        admin.create_user_pool_domain(
            Domain=prefix,
            UserPoolId=pool_id,
            CustomDomainConfig={
                "CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/mamori-test"
            },
        )
    elif not prefix:
        prefix = f"mamori-{secrets.token_hex(4)}"
        admin.create_user_pool_domain(Domain=prefix, UserPoolId=pool_id)
    return Hosted(
        server,
        pool_id,
        str(made["ClientId"]),
        made.get("ClientSecret"),
        prefix,
        redirect_uri,
        logout_uri,
        ca,
    )


@dataclass
class TlsServer(Server):
    """A live server speaking HTTPS: its boto3 clients and outbox reads trust the test CA."""

    ca: Path | None = None

    def admin(self, **kwargs: Any) -> Any:
        return super().admin(verify=str(self.ca), **kwargs)

    def public(self) -> Any:
        from botocore import UNSIGNED
        from botocore.config import Config

        return boto3.client(
            "cognito-idp",
            endpoint_url=self.url,
            region_name=REGION,
            verify=str(self.ca),
            config=Config(retries={"total_max_attempts": 1}, signature_version=UNSIGNED),
        )

    def outbox(self, pool_id: str | None = None, to: str | None = None) -> list[dict[str, Any]]:
        query = urllib.parse.urlencode({k: v for k, v in (("pool", pool_id), ("to", to)) if v})
        response = httpx.get(
            f"{self.url}/admin/outbox?{query}",
            auth=(self.access_key_id, self.secret_access_key),
            verify=ssl.create_default_context(cafile=str(self.ca)),
            timeout=10,
        )
        response.raise_for_status()
        return list(response.json()["messages"])


@contextmanager
def tls_server(
    tmp: Path, extra_env: dict[str, str] | None = None
) -> Iterator[tuple[TlsServer, Path]]:
    """`mamori serve --tls-cert/--tls-key` with a certificate from a throwaway CA for
    127.0.0.1, localhost and *.auth.localhost: (server, the CA's PEM)."""
    authority = Authority.create(tmp / "ca")
    cert, key = authority.issue(tmp / "ca", "127.0.0.1", also=("localhost", f"*.{AUTH_DOMAIN}"))
    args = ("--tls-cert", str(cert), "--tls-key", str(key))
    with run_server(tmp, "sqlite", extra_env=extra_env, args=args) as server:
        values = {f.name: getattr(server, f.name) for f in dataclasses.fields(server)}
        yield TlsServer(**values, ca=authority.cert_path), authority.cert_path


# The hosted login over plain HTTP: read the page's form, fill it, post it.


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str]  # every named input, with its value ("" when none)
    types: dict[str, str]  # name -> input type
    autocomplete: dict[str, str]  # name -> autocomplete token
    buttons: dict[str, str]  # name -> value of named submit buttons

    def named(self, *, kind: str = "", autocomplete: str = "", names: tuple[str, ...] = ()) -> str:
        """The first field of type `kind`, or with the autocomplete token, or one of `names`."""
        for name in self.fields:
            if kind and self.types.get(name) == kind:
                return name
            if autocomplete and autocomplete in self.autocomplete.get(name, "").split():
                return name
            if name in names:
                return name
        raise LookupError(f"no field like {kind or autocomplete or names} in {self.fields}")


class _FormParser(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(
                Form(a.get("action", ""), a.get("method", "get").lower(), {}, {}, {}, {})
            )
        elif self.forms and tag in ("input", "select", "textarea", "button") and a.get("name"):
            form, name = self.forms[-1], a["name"]
            kind = a.get("type", "submit" if tag == "button" else "text").lower()
            if kind in ("submit", "button"):
                form.buttons[name] = a.get("value", "")
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            form.fields[name] = a.get("value", "")
            form.types[name] = kind
            form.autocomplete[name] = a.get("autocomplete", "")


def forms_of(page: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(page)
    return parser.forms


def password_form(page: str) -> Form:
    found = [f for f in forms_of(page) if "password" in f.types.values() and f.method == "post"]
    assert found, f"no sign-in form in the page:\n{page[:3000]}"
    return found[0]


def follow(http: httpx.Client, response: httpx.Response, stop_at: str) -> httpx.Response | str:
    """Follow redirects (GET) until a page answers, or until one points at `stop_at` (the
    relying party's callback, which nobody serves here): that URL is returned."""
    for _ in range(10):
        if not response.is_redirect:
            return response
        location = urllib.parse.urljoin(str(response.url), response.headers["location"])
        if location.startswith(stop_at):
            return location
        response = http.get(location)
    raise AssertionError("more than 10 redirects")


def sign_in_by_form(
    http: httpx.Client, authorize_url: str, username: str, password: str, redirect_uri: str
) -> str:
    """Open `authorize_url`, fill the hosted sign-in form, post it; the callback URL reached."""
    page = follow(http, http.get(authorize_url), redirect_uri)
    if isinstance(page, str):
        return page  # an existing session skipped the form
    assert page.status_code == 200, page.text[:2000]
    form = password_form(page.text)
    fields = dict(form.fields)
    fields[form.named(autocomplete="username", names=("username", "email", "name"))] = username
    fields[form.named(kind="password")] = password
    target = urllib.parse.urljoin(str(page.url), form.action or str(page.url))
    done = follow(http, http.post(target, data=fields), redirect_uri)
    assert isinstance(done, str), f"no redirect to the app: {done.status_code} {done.text[:2000]}"
    return done


def callback_params(url: str) -> dict[str, str]:
    """The query (code flow) or fragment (implicit) parameters of a callback URL."""
    parts = urllib.parse.urlsplit(url)
    return dict(urllib.parse.parse_qsl(parts.fragment or parts.query))
