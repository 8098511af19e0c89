"""`/{UserPoolId}/forward-auth` against a live server with real tokens (the hosted login's code
grant, client_credentials, RevokeToken): identity headers for a good token, RFC 6750 answers
for every refusal, each next to the good token passing the same check."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.support.factories import make_user
from tests.support.gateways import SCOPE, Issuer, make_issuer, tampered
from tests.support.identity import forged
from tests.support.live import run_server


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def issuer(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Issuer]:
    """A live server on each database: the revocation read is one statement on either."""
    tmp: Path = tmp_path_factory.mktemp("forward-auth")
    with run_server(tmp, request.param) as server:
        yield make_issuer(server)


def _ask(
    issuer: Issuer, token: str | None, method: str = "GET", **query: str | list[str]
) -> httpx.Response:
    url = f"{issuer.issuer}/forward-auth"
    if query:
        url += "?" + urllib.parse.urlencode(query, doseq=True)
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.request(method, url, headers=headers, timeout=10)


def _refused(
    issuer: Issuer,
    token: str | None,
    status: int,
    error: str | None,
    good: str | None = None,
    **query: str,
) -> httpx.Response:
    answer = _ask(issuer, token, **query)
    assert answer.status_code == status, answer.text
    challenge = answer.headers["www-authenticate"]
    assert challenge.startswith(f'Bearer realm="{issuer.pool_id}"')
    if error is None:
        assert "error=" not in challenge
    else:
        assert f'error="{error}"' in challenge
    assert "x-mamori-sub" not in answer.headers
    assert answer.headers["cache-control"] == "no-store"
    # The positive control: a good token passes the very same check.
    assert _ask(issuer, good or issuer.access(), **query).status_code == 200
    return answer


def test_a_good_token_answers_200_with_the_identity(issuer: Issuer) -> None:
    username = issuer.user("reader", "admin")
    token = issuer.tokens(username)["access_token"]
    answer = _ask(issuer, token, scope=SCOPE, client_id=issuer.web.client_id)
    assert answer.status_code == 200, answer.text
    assert answer.content == b""
    assert answer.headers["x-mamori-username"] == username
    assert answer.headers["x-mamori-client-id"] == issuer.web.client_id
    assert answer.headers["x-mamori-scope"].split(" ") == ["openid", SCOPE]
    assert set(answer.headers["x-mamori-groups"].split(",")) == {"admin", "reader"}
    got = issuer.server.admin().admin_get_user(UserPoolId=issuer.pool_id, Username=username)
    sub = next(a["Value"] for a in got["UserAttributes"] if a["Name"] == "sub")
    assert answer.headers["x-mamori-sub"] == sub
    assert answer.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("method", ["HEAD", "POST", "DELETE"])
def test_any_method_is_checked_alike(issuer: Issuer, method: str) -> None:
    token = issuer.access()
    assert _ask(issuer, token, method).status_code == 200
    assert _ask(issuer, tampered(token, username="root"), method).status_code == 401


def test_a_client_credentials_token_speaks_for_its_client(issuer: Issuer) -> None:
    answer = _ask(issuer, issuer.machine_token(), scope=SCOPE)
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-mamori-sub"] == issuer.machine_id
    assert answer.headers["x-mamori-client-id"] == issuer.machine_id
    # Present and empty: a proxy copying them replaces whatever the caller sent.
    assert answer.headers["x-mamori-username"] == ""
    assert answer.headers["x-mamori-groups"] == ""


def test_no_token_gets_the_bare_challenge(issuer: Issuer) -> None:
    _refused(issuer, None, 401, None)


def test_a_malformed_authorization_header_is_invalid_request(issuer: Issuer) -> None:
    answer = httpx.get(
        f"{issuer.issuer}/forward-auth", headers={"Authorization": "Basic YTpi"}, timeout=10
    )
    assert answer.status_code == 400
    assert 'error="invalid_request"' in answer.headers["www-authenticate"]


def test_an_expired_token_is_refused(issuer: Issuer) -> None:
    answer = _refused(issuer, issuer.expired(), 401, "invalid_token")
    assert "expired" in answer.headers["www-authenticate"]


def test_a_revoked_token_is_refused(issuer: Issuer) -> None:
    answer = _refused(issuer, issuer.revoked(), 401, "invalid_token")
    assert "revoked" in answer.headers["www-authenticate"]


def test_a_disabled_users_token_is_refused(issuer: Issuer) -> None:
    username = issuer.user()
    token = issuer.tokens(username)["access_token"]
    assert _ask(issuer, token).status_code == 200
    issuer.server.admin().admin_disable_user(UserPoolId=issuer.pool_id, Username=username)
    _refused(issuer, token, 401, "invalid_token")


def test_another_clients_token_is_refused(issuer: Issuer) -> None:
    token = issuer.tokens(issuer.user(), client=issuer.other)["access_token"]
    assert _ask(issuer, token).status_code == 200  # a good token of the pool...
    _refused(issuer, token, 401, "invalid_token", client_id=issuer.web.client_id)  # ...not ours


def test_another_pools_token_is_refused(issuer: Issuer) -> None:
    _refused(issuer, issuer.stranger_token, 401, "invalid_token")


def test_a_missing_scope_is_insufficient_scope(issuer: Issuer) -> None:
    token = issuer.access(scope="openid")
    assert _ask(issuer, token).status_code == 200
    answer = _refused(issuer, token, 403, "insufficient_scope", scope=SCOPE)
    assert SCOPE in answer.headers["www-authenticate"]


def test_every_scope_asked_for_is_needed(issuer: Issuer) -> None:
    token = issuer.access()  # openid orders/read
    assert _ask(issuer, token, scope=f"openid {SCOPE}").status_code == 200
    assert _ask(issuer, token, scope=[SCOPE, "orders/write"]).status_code == 403


def test_a_group_is_asked_for_by_any_of(issuer: Issuer) -> None:
    reader, admin = issuer.access("reader"), issuer.access("admin")
    assert _ask(issuer, reader, group="admin,reader").status_code == 200
    _refused(issuer, reader, 403, "insufficient_scope", good=admin, group="admin")


def test_forged_and_tampered_tokens_are_refused(issuer: Issuer) -> None:
    token = issuer.access()
    _refused(issuer, forged(token), 401, "invalid_token")
    _refused(issuer, tampered(token, scope=f"openid {SCOPE} orders/write"), 401, "invalid_token")
    header, payload, _ = token.split(".")
    _refused(issuer, f"{header}.{payload}.", 401, "invalid_token")
    id_token = issuer.tokens(issuer.user())["id_token"]
    _refused(issuer, id_token, 401, "invalid_token")


def test_an_unknown_parameter_is_a_configuration_error(issuer: Issuer) -> None:
    answer = _ask(issuer, issuer.access(), scopes=SCOPE)
    assert answer.status_code == 400
    assert 'error="invalid_request"' in answer.headers["www-authenticate"]


def test_names_outside_ascii_are_percent_encoded(issuer: Issuer) -> None:
    admin = issuer.server.admin()
    for group in ("ops,eu", "管理"):
        admin.create_group(UserPoolId=issuer.pool_id, GroupName=group)
    username = make_user(issuer.server, issuer.pool_id, "ユーザー")
    for group in ("ops,eu", "管理"):
        admin.admin_add_user_to_group(UserPoolId=issuer.pool_id, Username=username, GroupName=group)
    answer = _ask(issuer, issuer.tokens(username)["access_token"], group="管理")
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-mamori-username"] == urllib.parse.quote("ユーザー")
    groups = answer.headers["x-mamori-groups"].split(",")
    assert sorted(urllib.parse.unquote(g) for g in groups) == sorted(["ops,eu", "管理"])


def test_a_proxied_preflight_is_checked_not_answered(issuer: Issuer) -> None:
    """nginx and Traefik pass the caller's method and headers on: an OPTIONS that looks like a
    CORS preflight must not get the CORS layer's 200 (the proxy would let it through)."""
    preflight = {"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "GET"}
    url = f"{issuer.issuer}/forward-auth"
    answer = httpx.options(url, headers=preflight, timeout=10)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == f'Bearer realm="{issuer.pool_id}"'
    good = {**preflight, "Authorization": f"Bearer {issuer.access()}"}
    assert httpx.options(url, headers=good, timeout=10).status_code == 200


def test_a_path_that_names_no_pool_is_not_found_never_a_500(issuer: Issuer) -> None:
    """The pool id is echoed in WWW-Authenticate's realm: only a well-formed one is served."""
    base = issuer.issuer.rsplit("/", 1)[0]
    for segment in ("%E2%82%AC", "a%22b", "a%0D%0AX-Injected:%20y", "us-east-1_x%20y"):
        answer = httpx.get(f"{base}/{segment}/forward-auth", timeout=10)
        assert answer.status_code == 404, (segment, answer.status_code)
        assert "x-injected" not in answer.headers
    # The control: a pool's own path is the endpoint (a bare challenge without a token).
    assert _ask(issuer, None).status_code == 401
