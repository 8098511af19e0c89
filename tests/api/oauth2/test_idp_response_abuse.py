"""Issue 12 item 5, errors and abuse, end to end for OpenID Connect providers: a live
`mamori serve` (sts_timeout_seconds 1) whose OIDC provider is a hostile stand-in
(tests/support/hostile_oidc.py), and an httpx client as the browser. A forged, unsigned,
expired, misaddressed or replayed ID token, a state mismatch, a provider error, a failing or
slow discovery, a slow, trickling, failing, redirecting, endless or too deeply nested token
answer each end at the app's redirect_uri with the error docs/federation.md's table names and
the app's state (or the error page), no user made, no token in the redirect, the pages or the
server's log, and the cause logged; a slow provider holds only its own request, never the event
loop. Claims the pool refuses (a required attribute missing, a NUL or an unpaired surrogate)
are the error page naming the attribute, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
import pytest
from tests.support.factories import make_code_client, make_pool
from tests.support.hostile_oidc import (
    AUTHORIZE_FAULTS,
    DISCOVERY_FAULTS,
    ERROR_DESCRIPTION,
    TOKEN_FAULTS,
    HostileOidc,
    hostile_oidc,
)
from tests.support.live import Server, federation_env, run_server

CALLBACK = "http://localhost:3000/callback"
APP_STATE = "app-state-7f3a"
PROVIDER = "Hostile"
TIMEOUT_SECONDS = 1  # the server's sts_timeout_seconds; the provider's slowness is 3 s


@dataclass
class Pool:
    pool_id: str
    client_id: str
    provider_name: str = PROVIDER


@dataclass
class Site:
    server: Server
    provider: HostileOidc
    pool: Pool  # the provider maps email and name; nothing is required
    strict: Pool  # the same provider, in a pool that requires `name`
    google: Pool  # the stand-in as Google (federation_endpoints): no discovery, no userinfo


@dataclass
class Visit:
    """A browser's way from /oauth2/authorize to where mamori sent it last."""

    responses: list[httpx.Response] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def last(self) -> httpx.Response:
        return self.responses[-1]


def _pool(server: Server, provider: HostileOidc, google: bool = False, **schema: object) -> Pool:
    admin = server.admin()
    pool_id = str(make_pool(server, **schema)["Id"])
    admin.create_user_pool_domain(Domain=f"abuse-{secrets.token_hex(4)}", UserPoolId=pool_id)
    details = {
        "client_id": provider.client_id,
        "client_secret": provider.client_secret,
        "authorize_scopes": "openid email profile",
    }
    if not google:
        details.update(attributes_request_method="GET", oidc_issuer=provider.url)
    name = "Google" if google else PROVIDER
    admin.create_identity_provider(
        UserPoolId=pool_id,
        ProviderName=name,
        ProviderType="Google" if google else "OIDC",
        ProviderDetails=details,
        AttributeMapping={"email": "email", "name": "name"},
    )
    client_id = make_code_client(server, pool_id, CALLBACK, ["COGNITO", name])
    return Pool(pool_id, client_id, name)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with hostile_oidc("mamori-rp", secrets.token_urlsafe(24)) as provider:
        # Not google_endpoints(): the hostile stand-in authorizes at /authorize.
        google = {
            "google.authorize_url": f"{provider.url}/authorize",
            "google.token_url": f"{provider.url}/token",
            "google.issuer": provider.url,
            "google.jwks_uri": f"{provider.url}/jwks",
        }
        env = {
            "MAMORI_STS_TIMEOUT_SECONDS": str(TIMEOUT_SECONDS),
            **federation_env(google),
        }
        with run_server(tmp_path_factory.mktemp("abuse"), "sqlite", extra_env=env) as server:
            required = [{"Name": "name", "AttributeDataType": "String", "Required": True}]
            yield Site(
                server,
                provider,
                _pool(server, provider),
                _pool(server, provider, Schema=required),
                _pool(server, provider, google=True),
            )


def query(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def authorize_url(site: Site, pool: Pool) -> str:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    params = {
        "client_id": pool.client_id,
        "response_type": "code",
        "redirect_uri": CALLBACK,
        "scope": "openid email profile",
        "state": APP_STATE,
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
        "identity_provider": pool.provider_name,
    }
    return f"{site.server.url}/{pool.pool_id}/oauth2/authorize?{urllib.parse.urlencode(params)}"


def visit(browser: httpx.Client, url: str, stop: str = CALLBACK) -> Visit:
    """Follow redirects until one points at a URL starting with `stop` (not fetched) or a
    page answers."""
    seen, started = Visit(), time.monotonic()
    for _ in range(10):
        response = browser.get(url, timeout=15)
        seen.responses.append(response)
        location = response.headers.get("location")
        if response.status_code not in (302, 303) or location is None:
            break
        url = str(response.url.join(location))
        if url.startswith(stop):
            break
    seen.seconds = time.monotonic() - started
    return seen


def sign_in(site: Site, pool: Pool | None = None) -> Visit:
    with httpx.Client() as browser:
        return visit(browser, authorize_url(site, pool or site.pool))


def usernames(site: Site, pool: Pool | None = None) -> set[str]:
    admin = site.server.admin()
    users = admin.list_users(UserPoolId=(pool or site.pool).pool_id)["Users"]
    return {str(u["Username"]) for u in users}


def log_size(site: Site) -> int:
    assert site.server.log_path is not None
    return len(site.server.log_path.read_bytes())


def log_since(site: Site, size: int) -> str:
    assert site.server.log_path is not None
    return site.server.log_path.read_bytes()[size:].decode(errors="replace")


def assert_nothing_leaks(site: Site, seen: Visit) -> None:
    """No token the provider issued (ID or access) in a redirect, a page or the server's log."""
    secrets_issued = [*site.provider.issued, *site.provider.access_tokens]
    log = log_since(site, 0)
    for response in seen.responses:
        shown = response.headers.get("location", "") + response.text
        for value in secrets_issued:
            assert value not in shown
    # Nor, from mamori, what the provider said past its error code (the provider's text).
    for response in seen.responses:
        if not str(response.url).startswith(site.server.url):
            continue
        shown = urllib.parse.unquote_plus(response.headers.get("location", "")) + response.text
        assert ERROR_DESCRIPTION not in shown and "alert(" not in shown
    for value in secrets_issued:
        assert value not in log


def assert_sent_back(site: Site, seen: Visit, error: str) -> None:
    """The browser ends at the app's redirect_uri with `error` and the app's state, only."""
    last = seen.last
    assert last.status_code == 302, last.text[:500]
    location = last.headers["location"]
    assert location.startswith(f"{CALLBACK}?"), location
    back = query(location)
    assert back["error"] == error and back["state"] == APP_STATE, back
    assert set(back) <= {"error", "error_description", "state"}, back
    assert_nothing_leaks(site, seen)


def test_a_good_answer_signs_in(site: Site) -> None:
    """The control: the stand-in without a fault is a provider mamori trusts."""
    sub = f"good-{secrets.token_hex(3)}"
    site.provider.sign_in_as(sub, email=f"{sub}@corp.example", name="Good")
    seen = sign_in(site)
    back = query(seen.last.headers["location"])
    assert seen.last.status_code == 302 and "code" in back and back["state"] == APP_STATE
    assert f"{PROVIDER}_{sub}" in usernames(site)


# Each bad ID token, and the reason mamori logs for refusing it (so each case is refused for
# its own fault, not by accident).
INVALID_ID_TOKENS = {
    "forged": "invalid token",
    "unknown-kid": "no matching key",
    "alg-none": "unsupported algorithm 'none'",
    "hs256-public-key": "unsupported algorithm 'HS256'",
    "jku": "invalid token",
    "tampered": "invalid token",
    "expired": "token expired",
    "issued-in-future": "issued in the future",
    "other-audience": "for another client",
    "audiences-without-azp": "authorized party is another client",
    "other-azp": "authorized party is another client",
    "other-issuer": "issuer is not the provider's",
    "other-nonce": "nonce is not this sign-in's",
    "no-nonce": "nonce is not this sign-in's",
    "replayed": "nonce is not this sign-in's",
    "no-sub": "has no subject",
    "userinfo-other-sub": "userinfo answer is for another subject",
}


@pytest.mark.parametrize("fault", sorted(INVALID_ID_TOKENS))
def test_an_id_token_mamori_cannot_trust_makes_no_user(site: Site, fault: str) -> None:
    sub = f"{fault}-{secrets.token_hex(3)}"
    if fault == "replayed":
        # Another sign-in, started (its nonce sent to the provider) but never finished: its ID
        # token is what the provider answers this one with.
        with httpx.Client() as other:
            visit(other, authorize_url(site, site.pool), f"{site.server.url}/")
    site.provider.sign_in_as(sub, fault, email=f"{sub}@corp.example", name="Mallory")
    before, issued, logged = usernames(site), len(site.provider.issued), log_size(site)
    seen = sign_in(site)
    assert_sent_back(site, seen, "invalid_request")
    assert usernames(site) == before
    # mamori had the token, and said why it refused it (to its log, not the browser).
    assert len(site.provider.issued) == issued + 1
    reason = f"identity provider {PROVIDER}: ID token refused: "
    assert reason in log_since(site, logged)
    assert INVALID_ID_TOKENS[fault] in log_since(site, logged).split(reason, 1)[1]


# A token endpoint that fails, and the reason mamori logs.
PROVIDER_FAILURES = {
    "invalid-grant": "token endpoint: HTTP 400 'invalid_grant'",
    "redirect": "token endpoint: HTTP 307, not JSON",
    "error-500": "token endpoint: HTTP 500, not JSON",
    "not-json": "token endpoint: HTTP 200, not JSON",
    "deep-json": "token endpoint: HTTP 200, not JSON",
    "no-id-token": "token endpoint: no id_token",
    "oversized": "token endpoint: the answer is too large",
}


@pytest.mark.parametrize("fault", sorted(PROVIDER_FAILURES))
def test_a_token_endpoint_that_fails_is_a_server_error(site: Site, fault: str) -> None:
    sub = f"{fault}-{secrets.token_hex(3)}"
    site.provider.sign_in_as(sub, fault, email=f"{sub}@corp.example")
    before, logged = usernames(site), log_size(site)
    seen = sign_in(site)
    assert_sent_back(site, seen, "server_error")
    assert usernames(site) == before
    assert f"identity provider {PROVIDER}: {PROVIDER_FAILURES[fault]}" in log_since(site, logged)
    if fault == "oversized":
        # mamori stopped reading past its bound: the 64 MiB answer was never read to its end.
        assert not site.provider.oversized_finished


AUTHORIZE_ANSWERS = [
    ("access_denied", "access_denied"),
    ("temporarily_unavailable", "invalid_request"),
    ("no-code", "invalid_request"),
    ("other-iss", "invalid_request"),  # RFC 9207: another issuer named in the answer
]


@pytest.mark.parametrize(("fault", "error"), AUTHORIZE_ANSWERS)
def test_a_provider_answer_without_a_usable_code(site: Site, fault: str, error: str) -> None:
    sub = f"{fault}-{secrets.token_hex(3)}"
    site.provider.sign_in_as(sub, fault, email=f"{sub}@corp.example")
    calls, before = site.provider.token_calls, usernames(site)
    seen = sign_in(site)
    assert_sent_back(site, seen, error)
    assert usernames(site) == before
    assert site.provider.token_calls == calls  # no code was redeemed


@pytest.mark.parametrize("fault", DISCOVERY_FAULTS)
def test_a_provider_whose_discovery_fails_is_a_server_error(site: Site, fault: str) -> None:
    """The discovery document is read at the redirect to the provider: the app hears of the
    failure from /oauth2/authorize itself, within the timeout."""
    sub = f"{fault}-{secrets.token_hex(3)}"
    site.provider.sign_in_as(sub, fault, email=f"{sub}@corp.example")
    before, logged = usernames(site), log_size(site)
    seen = sign_in(site)
    assert len(seen.responses) == 1  # never sent to the provider
    assert_sent_back(site, seen, "server_error")
    assert seen.seconds < TIMEOUT_SECONDS + 1.2
    assert usernames(site) == before
    assert f"identity provider {PROVIDER}: discovery failed: discovery: " in log_since(site, logged)


def test_a_state_mismatch_is_the_error_page(site: Site) -> None:
    """Until the state is opened the app's request is unknown: the error page, no redirect."""
    sub = f"state-{secrets.token_hex(3)}"
    site.provider.sign_in_as(sub, email=f"{sub}@corp.example")
    answer_at = f"{site.server.url}/{site.pool.pool_id}/oauth2/idpresponse"
    before, calls = usernames(site), site.provider.token_calls

    def answer(browser: httpx.Client) -> dict[str, str]:
        last = visit(browser, authorize_url(site, site.pool), answer_at).last
        return query(last.headers["location"])

    with httpx.Client() as attacker, httpx.Client() as victim:
        theirs, mine = answer(attacker), answer(victim)
        tampered = {**mine, "state": mine["state"][:-4] + "AAAA"}
        without = {k: v for k, v in mine.items() if k != "state"}
        pages = [
            victim.get(f"{answer_at}?{urllib.parse.urlencode(given)}")
            # Login CSRF: the attacker's whole answer in the victim's browser.
            for given in (theirs, tampered, without)
        ]
        # Its own state twice, the attacker's first (which state would win is not a question).
        twice = [("state", theirs["state"]), *mine.items()]
        pages.append(victim.get(f"{answer_at}?{urllib.parse.urlencode(twice)}"))
    for page in pages:
        assert page.status_code == 400 and "invalid_request" in page.text
        assert "location" not in page.headers and APP_STATE not in page.text
    assert usernames(site) == before
    assert site.provider.token_calls == calls  # no code was redeemed


def test_a_slow_provider_times_out_without_blocking_the_server(site: Site) -> None:
    sub = f"slow-{secrets.token_hex(3)}"
    site.provider.sign_in_as(sub, "slow", email=f"{sub}@corp.example")
    site.provider.token_waiting.clear()
    before, logged = usernames(site), log_size(site)
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(sign_in, site)
        assert site.provider.token_waiting.wait(10), "the token endpoint was never called"
        # While that sign-in waits on the provider, the server answers others at once.
        started = time.monotonic()
        health = httpx.get(f"{site.server.url}/health", timeout=5)
        jwks = httpx.get(f"{site.server.url}/{site.pool.pool_id}/.well-known/jwks.json", timeout=5)
        quick = time.monotonic() - started
        still_waiting = not waiting.done()
        seen = waiting.result(timeout=15)
    assert health.status_code == 200 and jwks.status_code == 200
    # Answered while the sign-in still waited (a blocked event loop would have answered them
    # only after it), and quickly.
    assert still_waiting and quick < 0.8
    assert_sent_back(site, seen, "server_error")
    # The timeout, not the provider's 3 s, ended it.
    assert TIMEOUT_SECONDS <= seen.seconds < TIMEOUT_SECONDS + 1.2
    assert usernames(site) == before
    assert f"identity provider {PROVIDER}: token endpoint: timed out" in log_since(site, logged)


def test_a_trickled_answer_is_cut_at_the_timeout(site: Site) -> None:
    """A provider that sends a byte every quarter second never trips a read timeout: the
    whole call has a deadline."""
    sub = f"trickle-{secrets.token_hex(3)}"
    site.provider.sign_in_as(sub, "trickle", email=f"{sub}@corp.example")
    before, logged = usernames(site), log_size(site)
    seen = sign_in(site)
    assert_sent_back(site, seen, "server_error")
    assert seen.seconds < TIMEOUT_SECONDS + 1.2
    assert usernames(site) == before
    assert f"identity provider {PROVIDER}: token endpoint: timed out" in log_since(site, logged)


def test_a_required_attribute_the_provider_does_not_send_is_the_error_page(site: Site) -> None:
    sub = f"noname-{secrets.token_hex(3)}"
    site.provider.sign_in_as(sub, email=f"{sub}@corp.example")  # no name
    seen = sign_in(site, site.strict)
    page = seen.last
    assert page.status_code == 400, page.headers.get("location")
    assert "invalid_request" in page.text and "name: The attribute name is required" in page.text
    assert usernames(site, site.strict) == set()
    # Nor the provider's automatic group: nothing is written before every rule is checked.
    admin = site.server.admin()
    assert admin.list_groups(UserPoolId=site.strict.pool_id)["Groups"] == []
    assert_nothing_leaks(site, seen)
    # With the attribute, the same provider signs in to the same pool.
    site.provider.sign_in_as(sub, email=f"{sub}@corp.example", name="Named")
    assert "code" in query(sign_in(site, site.strict).last.headers["location"])
    assert usernames(site, site.strict) == {f"{PROVIDER}_{sub}"}


def test_every_fault_of_the_stand_in_is_tried() -> None:
    tried = {*INVALID_ID_TOKENS, *PROVIDER_FAILURES, "slow", "trickle"}
    assert tried == set(TOKEN_FAULTS)
    assert len(DISCOVERY_FAULTS) == 2  # both parametrize their test
    assert set(AUTHORIZE_FAULTS) == {fault for fault, _ in AUTHORIZE_ANSWERS}


# A subject or a claim with a character no store holds (NUL: PostgreSQL refuses it in text; an
# unpaired surrogate, which JSON's \u escapes can carry), and what the error page names.
UNSTORABLE = [
    ({"sub": "nul\x00sub"}, "username"),
    ({"sub": "lone\ud800sub"}, "username"),
    ({"name": "a\x00b"}, "name"),
    ({"name": "\udfffx"}, "name"),
]


def sign_in_unstorable(site: Site, pool: Pool, sent: dict[str, str], named: str) -> None:
    sub = sent.get("sub", f"odd-{secrets.token_hex(3)}")
    name = sent.get("name", "Odd")
    site.provider.sign_in_as(sub, email=f"odd-{secrets.token_hex(3)}@corp.example", name=name)
    before = usernames(site, pool)
    seen = sign_in(site, pool)
    page = seen.last
    assert page.status_code == 400, (page.status_code, page.headers.get("location"))
    assert "invalid_request" in page.text
    assert f"{named}: The value has a character that cannot be stored" in page.text
    assert usernames(site, pool) == before
    assert_nothing_leaks(site, seen)


@pytest.mark.parametrize(("sent", "named"), UNSTORABLE)
def test_a_claim_no_store_holds_is_the_error_page(
    site: Site, sent: dict[str, str], named: str
) -> None:
    sign_in_unstorable(site, site.pool, sent, named)


def test_a_claim_no_store_holds_is_the_error_page_on_each_database(server: Server) -> None:
    """On PostgreSQL a NUL in a claim was a 500 (the store refused it mid-sign-in)."""
    with hostile_oidc("mamori-rp", secrets.token_urlsafe(24)) as provider:
        pool = _pool(server, provider)
        site = Site(server, provider, pool, pool, pool)
        for sent, named in UNSTORABLE:
            sign_in_unstorable(site, site.pool, sent, named)


@pytest.mark.parametrize("case", ["case-sensitive pool", "case-insensitive pool, other case"])
def test_a_subject_naming_a_pool_users_username_does_not_sign_in_as_them(
    site: Site, case: str
) -> None:
    """A provider whose subject makes `<ProviderName>_<sub>` the username of a user the pool
    made itself (not EXTERNAL_PROVIDER) can't sign in as that user, nor change them; in a
    case-insensitive pool, whatever the subject's case."""
    insensitive = case.startswith("case-insensitive")
    pool = (
        _pool(site.server, site.provider, UsernameConfiguration={"CaseSensitive": False})
        if insensitive
        else site.pool
    )
    victim = f"{PROVIDER}_victim-{secrets.token_hex(3)}"
    admin = site.server.admin()
    admin.admin_create_user(
        UserPoolId=pool.pool_id,
        Username=victim,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": "victim@corp.example"}],
    )
    sub = victim.removeprefix(f"{PROVIDER}_")
    site.provider.sign_in_as(
        sub.upper() if insensitive else sub, email="mallory@evil.example", name="Mallory"
    )
    before = usernames(site, pool)
    seen = sign_in(site, pool)
    page = seen.last
    assert page.status_code == 400, page.headers.get("location")
    assert "The user cannot sign in with this provider." in page.text
    assert usernames(site, pool) == before
    user = admin.admin_get_user(UserPoolId=pool.pool_id, Username=victim)
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["email"] == "victim@corp.example" and "identities" not in attributes
    assert "name" not in attributes
    assert_nothing_leaks(site, seen)


GOOGLE_CASES = [
    ("forged", "invalid_request"),
    ("alg-none", "invalid_request"),
    ("other-audience", "invalid_request"),
    ("other-issuer", "invalid_request"),
    ("other-nonce", "invalid_request"),
    ("expired", "invalid_request"),
    ("access_denied", "access_denied"),
    ("error-500", "server_error"),
    ("slow", "server_error"),
]


@pytest.mark.parametrize(("fault", "error"), GOOGLE_CASES)
def test_google_takes_the_same_checks(site: Site, fault: str, error: str) -> None:
    """Google is OIDC at fixed endpoints (the stand-in's, through federation_endpoints)."""
    sub = f"g-{fault}-{secrets.token_hex(3)}"
    site.provider.sign_in_as(sub, fault, email=f"{sub}@gmail.example", name="G")
    before = usernames(site, site.google)
    seen = sign_in(site, site.google)
    assert_sent_back(site, seen, error)
    assert usernames(site, site.google) == before
    assert seen.seconds < TIMEOUT_SECONDS + 1.2
    # And without a fault, the same stand-in signs in as Google.
    site.provider.sign_in_as(sub, email=f"{sub}@gmail.example", name="G")
    back = query(sign_in(site, site.google).last.headers["location"])
    assert "code" in back and f"Google_{sub}" in usernames(site, site.google)
