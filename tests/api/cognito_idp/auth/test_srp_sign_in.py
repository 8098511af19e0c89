"""USER_SRP_AUTH and PASSWORD_VERIFIER with real clients: pycognito, amazon-cognito-identity-js
and Amplify v6's default sign-in; decoys for unknown users, replay, tampering, lockout, and the
verifier kept (sealed) with every password."""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pycognito
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP
from tests.support.cognito import attrs, secret_hash
from tests.support.db import rows
from tests.support.factories import PASSWORD, make_client, make_pool, make_user, sign_in
from tests.support.live import REGION, Server, run_server
from tests.support.mfa import mfa_pool
from tests.support.node import calls, needs_node, run_node
from tests.support.tokens import verify

from mamori.crypto.srp import N, format_timestamp, pad_hex

NEW_PASSWORD = "N3w-Passw0rd!"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture(scope="module")
def pool(server: Server) -> dict[str, Any]:
    return make_pool(server)


@pytest.fixture(scope="module")
def client_id(server: Server, pool: dict[str, Any]) -> str:
    return str(make_client(server, pool["Id"])["ClientId"])


@pytest.fixture(scope="module")
def hiding_client(server: Server, pool: dict[str, Any]) -> str:
    """PreventUserExistenceErrors ENABLED: unknown users get decoy challenges."""
    made = make_client(server, pool["Id"], PreventUserExistenceErrors="ENABLED")
    return str(made["ClientId"])


def fails(call: Any, code: str, message: str | None = None) -> str:
    with pytest.raises(ClientError) as exc:
        call()
    err = exc.value.response["Error"]
    assert err["Code"] == code, err
    if message is not None:
        assert err["Message"] == message
    return str(err["Message"])


def srp(
    server: Server,
    pool_id: str,
    client_id: str,
    username: str,
    password: str = PASSWORD,
    secret: str | None = None,
) -> AWSSRP:
    """pycognito's SRP client on an unsigned boto3 client at the server."""
    return AWSSRP(
        username=username,
        password=password,
        pool_id=pool_id,
        client_id=client_id,
        client=server.public(),
        client_secret=secret,
    )


def initiate(aws: AWSSRP) -> tuple[dict[str, str], dict[str, Any]]:
    params = aws.get_auth_params()
    out = aws.client.initiate_auth(
        AuthFlow="USER_SRP_AUTH", AuthParameters=params, ClientId=aws.client_id
    )
    return params, out


def answer(aws: AWSSRP, params: dict[str, str], out: dict[str, Any], **changes: str) -> Any:
    responses = {**aws.process_challenge(out["ChallengeParameters"], params), **changes}
    return aws.client.respond_to_auth_challenge(
        ClientId=aws.client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=responses
    )


# --- real clients
def test_pycognito_signs_in(server: Server, pool: dict[str, Any], client_id: str) -> None:
    user = make_user(server, pool["Id"])
    cognito = pycognito.Cognito(
        pool["Id"],
        client_id,
        username=user,
        botocore_config=Config(signature_version=UNSIGNED),
        boto3_client_kwargs={"endpoint_url": server.url, "region_name": REGION},
    )
    cognito.authenticate(PASSWORD)
    claims = verify(server, pool["Id"], cognito.id_token, audience=client_id)
    assert claims["cognito:username"] == user
    me = server.public().get_user(AccessToken=cognito.access_token)
    assert me["Username"] == user
    with pytest.raises(ClientError) as exc:
        cognito.authenticate("Wr0ng-Password!")
    assert exc.value.response["Error"]["Code"] == "NotAuthorizedException"


@needs_node
def test_cognito_identity_js_signs_in_with_srp_by_default(
    server: Server, pool: dict[str, Any], client_id: str
) -> None:
    user = make_user(server, pool["Id"])
    base = {"endpoint": server.url, "userPoolId": pool["Id"], "clientId": client_id}
    steps = run_node(
        "cognito_identity_js.mjs",
        {
            **base,
            "steps": [
                {"op": "authenticateUser", "username": user, "password": PASSWORD},
                {"op": "getUserAttributes"},
                {
                    "name": "wrong",
                    "op": "authenticateUser",
                    "username": user,
                    "password": "Wr0ng-Password!",
                    "expectError": True,
                },
            ],
        },
    )
    assert calls(steps["authenticateUser"]) == [
        ("InitiateAuth", "USER_SRP_AUTH"),
        ("RespondToAuthChallenge", "PASSWORD_VERIFIER"),
    ]
    assert steps["getUserAttributes"]["result"]["email"] == f"{user}@example.com"
    assert steps["wrong"]["error"]["name"] == "NotAuthorizedException"


@needs_node
def test_amplify_default_sign_in_by_email(server: Server) -> None:
    """Amplify answers with USERNAME = USER_ID_FOR_SRP, which in an email pool is the sub."""
    pool = make_pool(server, UsernameAttributes=["email"])
    client_id = make_client(server, pool["Id"])["ClientId"]
    email = f"amp-{secrets.token_hex(3)}@example.com"
    make_user(server, pool["Id"], email, attributes={"email": email})
    found = server.admin().admin_get_user(UserPoolId=pool["Id"], Username=email)
    sub = {a["Name"]: a["Value"] for a in found["UserAttributes"]}["sub"]
    out = server.public().initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_SRP_AUTH",
        AuthParameters={"USERNAME": email, "SRP_A": format(pow(2, 1234, N), "x")},
    )
    assert UUID.fullmatch(out["ChallengeParameters"]["USER_ID_FOR_SRP"])
    steps = run_node(
        "amplify.mjs",
        {
            "endpoint": server.url,
            "userPoolId": pool["Id"],
            "clientId": client_id,
            "steps": [
                {
                    "op": "signIn",
                    "username": email,
                    "password": PASSWORD,
                    "authFlowType": "USER_SRP_AUTH",
                },
                {"op": "fetchAuthSession"},
            ],
        },
    )
    assert steps["signIn"]["result"]["isSignedIn"] is True
    assert calls(steps["signIn"]) == [
        ("InitiateAuth", "USER_SRP_AUTH"),
        ("RespondToAuthChallenge", "PASSWORD_VERIFIER"),
    ]
    claims = verify(server, pool["Id"], steps["fetchAuthSession"]["result"]["idToken"])
    assert claims["email"] == email and claims["cognito:username"] == sub


def test_admin_initiate_auth_with_srp(server: Server, pool: dict[str, Any], client_id: str) -> None:
    user = make_user(server, pool["Id"])
    aws = srp(server, pool["Id"], client_id, user)
    admin = server.admin()
    params = aws.get_auth_params()
    out = admin.admin_initiate_auth(
        UserPoolId=pool["Id"], ClientId=client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=params
    )
    assert out["ChallengeName"] == "PASSWORD_VERIFIER"
    assert "Session" not in out  # Cognito: the state is in SECRET_BLOCK
    done = admin.admin_respond_to_auth_challenge(
        UserPoolId=pool["Id"],
        ClientId=client_id,
        ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses=aws.process_challenge(out["ChallengeParameters"], params),
    )
    assert (
        verify(server, pool["Id"], done["AuthenticationResult"]["AccessToken"])["username"] == user
    )


def test_client_with_a_secret(server: Server, pool: dict[str, Any]) -> None:
    made = make_client(server, pool["Id"], GenerateSecret=True)
    cid, secret = made["ClientId"], made["ClientSecret"]
    user = make_user(server, pool["Id"])
    aws = srp(server, pool["Id"], cid, user, secret=secret)
    params, out = initiate(aws)
    assert answer(aws, params, out)["AuthenticationResult"]["AccessToken"]
    # Without SECRET_HASH, or with another one, both steps refuse.
    bare = srp(server, pool["Id"], cid, user)
    fails(lambda: initiate(bare), "NotAuthorizedException")
    params, out = initiate(aws)
    wrong = secret_hash(user, cid, "not-the-secret")
    fails(lambda: answer(aws, params, out, SECRET_HASH=wrong), "NotAuthorizedException")


# --- what the challenge looks like
def test_challenge_parameters(server: Server, pool: dict[str, Any], client_id: str) -> None:
    user = make_user(server, pool["Id"])
    _, out = initiate(srp(server, pool["Id"], client_id, user))
    p = out["ChallengeParameters"]
    assert set(p) == {"SALT", "SRP_B", "SECRET_BLOCK", "USERNAME", "USER_ID_FOR_SRP"}
    assert p["USERNAME"] == p["USER_ID_FOR_SRP"] == user
    assert re.fullmatch(r"[0-9a-f]+", p["SALT"]) and len(p["SALT"]) % 2 == 0
    assert 0 < int(p["SRP_B"], 16) < N
    # SECRET_BLOCK: standard base64 with padding, opaque (no username or pool inside).
    raw = base64.b64decode(p["SECRET_BLOCK"], validate=True)
    assert user.encode() not in raw and pool["Id"].encode() not in raw
    # The salt is the user's: the same on every attempt; B is new each time.
    _, again = initiate(srp(server, pool["Id"], client_id, user))
    assert again["ChallengeParameters"]["SALT"] == p["SALT"]
    assert again["ChallengeParameters"]["SRP_B"] != p["SRP_B"]


def test_unknown_user_gets_a_decoy_of_the_same_shape(
    server: Server, pool: dict[str, Any], client_id: str, hiding_client: str
) -> None:
    known = make_user(server, pool["Id"], f"known-{secrets.token_hex(4)}")
    ghost = f"ghost-{secrets.token_hex(4)}"
    _, real = initiate(srp(server, pool["Id"], hiding_client, known))
    aws = srp(server, pool["Id"], hiding_client, ghost)
    params, decoy = initiate(aws)
    assert decoy["ChallengeName"] == real["ChallengeName"] == "PASSWORD_VERIFIER"
    r, d = real["ChallengeParameters"], decoy["ChallengeParameters"]
    assert set(d) == set(r) and d["USER_ID_FOR_SRP"] == ghost
    # Both are 16 random bytes in Java's BigInteger hex (a leading zero byte shortens it, a
    # high bit adds "00"): the same form and range, whatever their lengths happen to be.
    for salt in (d["SALT"], r["SALT"]):
        assert pad_hex(int(salt, 16)) == salt and int(salt, 16) < 2**128
    # Same name lengths here: the sealed blocks are the same size, to the byte.
    assert len(d["SECRET_BLOCK"]) == len(r["SECRET_BLOCK"])
    _, again = initiate(srp(server, pool["Id"], hiding_client, ghost))
    assert again["ChallengeParameters"]["SALT"] == d["SALT"]  # stable, like a real salt
    message = fails(lambda: answer(aws, params, decoy), "NotAuthorizedException")
    assert message == "Incorrect username or password."
    # Without PreventUserExistenceErrors (LEGACY), Cognito says so at once.
    fails(
        lambda: initiate(srp(server, pool["Id"], client_id, ghost)),
        "UserNotFoundException",
        "User does not exist.",
    )


def test_unknown_email_in_an_email_pool_looks_like_a_sub(server: Server) -> None:
    pool = make_pool(server, UsernameAttributes=["email"])
    cid = make_client(server, pool["Id"], PreventUserExistenceErrors="ENABLED")["ClientId"]
    _, out = initiate(srp(server, pool["Id"], cid, "nobody@example.com"))
    assert UUID.fullmatch(out["ChallengeParameters"]["USER_ID_FOR_SRP"])


def test_decoys_take_the_letter_case_a_user_would(server: Server) -> None:
    """Issue 9 item 6: in a case-insensitive pool a known user answers `ALICE` as `alice`,
    and a decoy answered `BOB` as `BOB` (and another SALT for `bob`): existence by letter case.
    Now a decoy is derived from the name as the lookup compares it."""
    pool = make_pool(server, UsernameConfiguration={"CaseSensitive": False})
    hiding = make_client(server, pool["Id"], PreventUserExistenceErrors="ENABLED")["ClientId"]
    known = make_user(server, pool["Id"], f"alice-{secrets.token_hex(4)}")
    ghost = f"bob-{secrets.token_hex(4)}"
    answers: dict[str, dict[str, str]] = {}
    for name in (known, known.upper(), ghost, ghost.upper(), ghost.title()):
        answers[name] = initiate(srp(server, pool["Id"], hiding, name))[1]["ChallengeParameters"]
    assert answers[known.upper()]["USER_ID_FOR_SRP"] == known
    assert answers[known.upper()]["SALT"] == answers[known]["SALT"]
    for name in (ghost.upper(), ghost.title()):
        assert answers[name]["USER_ID_FOR_SRP"] == answers[name]["USERNAME"] == ghost
        assert answers[name]["SALT"] == answers[ghost]["SALT"]
    # Answered as the clients answer (USERNAME = USER_ID_FOR_SRP), or by another form of the
    # name: a wrong password either way; a name that is not this one's: the Session is wrong.
    for name, answered in ((known.upper(), known), (ghost.upper(), ghost)):
        aws = srp(server, pool["Id"], hiding, name, password="Wr0ng-pass!")
        params, out = initiate(aws)
        fails(
            lambda: answer(aws, params, out, USERNAME=answered),  # noqa: B023
            "NotAuthorizedException",
            "Incorrect username or password.",
        )
        aws = srp(server, pool["Id"], hiding, name, password="Wr0ng-pass!")
        params, out = initiate(aws)
        fails(
            lambda: answer(aws, params, out, USERNAME="someone-else"),  # noqa: B023
            "NotAuthorizedException",
            "Invalid session for the user.",
        )


def test_decoys_keep_the_case_in_a_case_sensitive_pool(server: Server) -> None:
    pool = make_pool(server, UsernameConfiguration={"CaseSensitive": True})
    hiding = make_client(server, pool["Id"], PreventUserExistenceErrors="ENABLED")["ClientId"]
    ghost = f"Bob-{secrets.token_hex(4)}"
    upper = initiate(srp(server, pool["Id"], hiding, ghost.upper()))[1]["ChallengeParameters"]
    lower = initiate(srp(server, pool["Id"], hiding, ghost.lower()))[1]["ChallengeParameters"]
    assert upper["USER_ID_FOR_SRP"] == ghost.upper() and lower["USER_ID_FOR_SRP"] == ghost.lower()
    assert upper["SALT"] != lower["SALT"]  # two names there, as two users' would differ


def test_unknown_emails_in_an_email_pool_ignore_case(server: Server) -> None:
    pool = make_pool(server, UsernameAttributes=["email"])
    cid = make_client(server, pool["Id"], PreventUserExistenceErrors="ENABLED")["ClientId"]
    email = f"nobody-{secrets.token_hex(4)}@example.com"
    ids = {
        initiate(srp(server, pool["Id"], cid, name))[1]["ChallengeParameters"]["USER_ID_FOR_SRP"]
        for name in (email, email.upper())
    }
    assert len(ids) == 1 and UUID.fullmatch(ids.pop())


# --- refusals
def test_wrong_password_and_states(server: Server, pool: dict[str, Any], client_id: str) -> None:
    user = make_user(server, pool["Id"])
    aws = srp(server, pool["Id"], client_id, user, password="Wr0ng-Password!")
    params, out = initiate(aws)
    fails(
        lambda: answer(aws, params, out),
        "NotAuthorizedException",
        "Incorrect username or password.",
    )
    server.admin().admin_disable_user(UserPoolId=pool["Id"], Username=user)
    right = srp(server, pool["Id"], client_id, user)
    params, out = initiate(right)
    fails(lambda: answer(right, params, out), "NotAuthorizedException", "User is disabled.")


def test_each_exchange_answers_once(server: Server, pool: dict[str, Any], client_id: str) -> None:
    user = make_user(server, pool["Id"])
    aws = srp(server, pool["Id"], client_id, user)
    params, out = initiate(aws)
    responses = aws.process_challenge(out["ChallengeParameters"], params)
    first = aws.client.respond_to_auth_challenge(
        ClientId=client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=responses
    )
    assert first["AuthenticationResult"]["AccessToken"]
    replay = lambda: aws.client.respond_to_auth_challenge(  # noqa: E731
        ClientId=client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=responses
    )
    fails(replay, "NotAuthorizedException", "Invalid session for the user.")


def test_tampered_or_foreign_secret_blocks(
    server: Server, pool: dict[str, Any], client_id: str
) -> None:
    user = make_user(server, pool["Id"])
    aws = srp(server, pool["Id"], client_id, user)
    params, out = initiate(aws)
    block = out["ChallengeParameters"]["SECRET_BLOCK"]
    raw = bytearray(base64.b64decode(block))
    raw[40] ^= 1
    for bad in (base64.b64encode(bytes(raw)).decode(), "bm90IG91cnM=", "***"):
        fails(
            lambda bad=bad: answer(aws, params, out, PASSWORD_CLAIM_SECRET_BLOCK=bad),
            "NotAuthorizedException",
        )
    # A block made for another client of the pool doesn't pass for this one.
    other = make_client(server, pool["Id"])["ClientId"]
    responses = aws.process_challenge(out["ChallengeParameters"], params)
    fails(
        lambda: aws.client.respond_to_auth_challenge(
            ClientId=other, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=responses
        ),
        "NotAuthorizedException",
        "Invalid session for the user.",
    )


def test_timestamps_must_be_canonical_and_current(
    server: Server, pool: dict[str, Any], client_id: str
) -> None:
    user = make_user(server, pool["Id"])
    now = datetime.now(UTC)
    padded = now.strftime("%a %b %d %H:%M:%S UTC %Y")  # "Nov 05": Cognito refuses it
    for stamp in (format_timestamp(now - timedelta(minutes=20)), padded.replace(" 0", " 00")):
        aws = srp(server, pool["Id"], client_id, user)
        params, out = initiate(aws)
        with pytest.raises(ClientError) as exc:
            answer(aws, params, out, TIMESTAMP=stamp)
        assert exc.value.response["Error"]["Code"] == "NotAuthorizedException"


@pytest.mark.parametrize("srp_a", ["0", format(N, "x"), "zz", "00" * 800])
def test_bad_srp_a(server: Server, pool: dict[str, Any], client_id: str, srp_a: str) -> None:
    user = make_user(server, pool["Id"])
    fails(
        lambda: server.public().initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_SRP_AUTH",
            AuthParameters={"USERNAME": user, "SRP_A": srp_a},
        ),
        "InvalidParameterException",
    )


def test_missing_parameters(server: Server, pool: dict[str, Any], client_id: str) -> None:
    public = server.public()
    fails(
        lambda: public.initiate_auth(
            ClientId=client_id, AuthFlow="USER_SRP_AUTH", AuthParameters={"USERNAME": "x"}
        ),
        "InvalidParameterException",
        "Missing required parameter SRP_A",
    )
    user = make_user(server, pool["Id"])
    aws = srp(server, pool["Id"], client_id, user)
    params, out = initiate(aws)
    responses = aws.process_challenge(out["ChallengeParameters"], params)
    for member in ("TIMESTAMP", "PASSWORD_CLAIM_SIGNATURE", "PASSWORD_CLAIM_SECRET_BLOCK"):
        partial = {k: v for k, v in responses.items() if k != member}
        fails(
            lambda partial=partial: public.respond_to_auth_challenge(
                ClientId=client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=partial
            ),
            "InvalidParameterException",
            f"Missing required parameter {member}",
        )


def test_the_client_must_allow_srp(server: Server, pool: dict[str, Any]) -> None:
    cid = make_client(server, pool["Id"], ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])
    fails(
        lambda: initiate(srp(server, pool["Id"], cid["ClientId"], "anyone")),
        "InvalidParameterException",
        "USER_SRP_AUTH flow not enabled for this client",
    )


def test_failed_claims_lock_the_user_out(
    server: Server, pool: dict[str, Any], client_id: str
) -> None:
    """Wrong claims count like wrong passwords, also for exchanges started before the lock."""
    user = make_user(server, pool["Id"])
    started = [
        (aws, *initiate(aws))
        for aws in (srp(server, pool["Id"], client_id, user, "Wr0ng-Pass!") for _ in range(7))
    ]
    codes = []
    for aws, params, out in started:
        with pytest.raises(ClientError) as exc:
            answer(aws, params, out)
        codes.append(exc.value.response["Error"]["Message"])
    assert codes[:5] == ["Incorrect username or password."] * 5
    assert codes[5:] == ["Password attempts exceeded"] * 2
    right = srp(server, pool["Id"], client_id, user)
    fails(lambda: initiate(right), "NotAuthorizedException", "Password attempts exceeded")


# --- verifiers follow the password
def test_every_password_change_makes_a_new_verifier(
    server: Server, pool: dict[str, Any], client_id: str
) -> None:
    admin, public = server.admin(), server.public()
    user = make_user(server, pool["Id"])

    def srp_works(password: str) -> bool:
        aws = srp(server, pool["Id"], client_id, user, password)
        params, out = initiate(aws)
        try:
            return bool(answer(aws, params, out)["AuthenticationResult"])
        except ClientError:
            return False

    assert srp_works(PASSWORD)
    admin.admin_set_user_password(
        UserPoolId=pool["Id"], Username=user, Password=NEW_PASSWORD, Permanent=True
    )
    assert srp_works(NEW_PASSWORD) and not srp_works(PASSWORD)
    token = sign_in(server, client_id, user, NEW_PASSWORD)["AccessToken"]
    third = "Th1rd-Passw0rd!"
    public.change_password(AccessToken=token, PreviousPassword=NEW_PASSWORD, ProposedPassword=third)
    assert srp_works(third) and not srp_works(NEW_PASSWORD)


def test_new_password_required_through_srp(
    server: Server, pool: dict[str, Any], client_id: str
) -> None:
    username = f"inv-{secrets.token_hex(3)}"
    server.admin().admin_create_user(
        UserPoolId=pool["Id"],
        Username=username,
        TemporaryPassword="Temp-Passw0rd!",
        MessageAction="SUPPRESS",
        UserAttributes=attrs(email=f"{username}@example.com"),
    )
    cognito = pycognito.Cognito(
        pool["Id"],
        client_id,
        username=username,
        botocore_config=Config(signature_version=UNSIGNED),
        boto3_client_kwargs={"endpoint_url": server.url, "region_name": REGION},
    )
    with pytest.raises(pycognito.exceptions.ForceChangePasswordException):
        cognito.authenticate("Temp-Passw0rd!")
    cognito.new_password_challenge("Temp-Passw0rd!", NEW_PASSWORD)
    assert cognito.access_token
    cognito.authenticate(NEW_PASSWORD)  # a permanent password now, with its own verifier


def test_verifiers_are_sealed_at_rest_and_made_for_older_users(
    server: Server, pool: dict[str, Any], client_id: str
) -> None:
    user = make_user(server, pool["Id"])
    found = rows(
        server.database_url,
        "SELECT sub, srp_verifier FROM users WHERE pool_id = :p AND username = :u",
        p=pool["Id"],
        u=user,
    )
    sealed = found[0]["srp_verifier"]
    assert sealed and sealed.startswith("v1.")
    # A user whose password predates verifiers: SRP fails like a wrong password, until one
    # sign-in with the password in clear makes its verifier.
    _forget_verifier(server, found[0]["sub"])
    aws = srp(server, pool["Id"], client_id, user)
    params, out = initiate(aws)
    fails(lambda: answer(aws, params, out), "NotAuthorizedException")
    sign_in(server, client_id, user)
    params, out = initiate(aws)
    assert answer(aws, params, out)["AuthenticationResult"]["AccessToken"]


def _forget_verifier(server: Server, sub: str) -> None:
    from sqlalchemy import text

    from mamori.adapters.store.sql.connection.engine import make_sync_engine

    engine = make_sync_engine(server.database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE users SET srp_verifier = NULL WHERE sub = :s"), {"s": sub})
    finally:
        engine.dispose()


def test_a_unicode_password(server: Server, pool: dict[str, Any], client_id: str) -> None:
    password = "Pässwörd-日本語-1A!"
    user = make_user(server, pool["Id"], password=password)
    aws = srp(server, pool["Id"], client_id, user, password)
    params, out = initiate(aws)
    assert answer(aws, params, out)["AuthenticationResult"]["AccessToken"]


# --- several processes
@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    """Two server processes on one database with one master key, nothing else shared."""
    env = {"MAMORI_MASTER_KEY": base64.b64encode(secrets.token_bytes(32)).decode()}
    with run_server(tmp_path, request.param, extra_env=env) as a:  # noqa: SIM117 (b needs a)
        with run_server(tmp_path, extra_env=env, database_url=a.database_url) as b:
            yield a, b


def test_a_sign_in_moves_between_processes(pair: tuple[Server, Server]) -> None:
    """SRP state in SECRET_BLOCK, sealed Sessions and their counters: any process goes on."""
    a, b = pair
    pool_id, client_id = mfa_pool(a, "ON", totp=False)
    number = "+15550009876"
    user = make_user(a, pool_id, attributes={"phone_number": number})
    aws = srp(a, pool_id, client_id, user)
    params, out = initiate(aws)
    responses = aws.process_challenge(out["ChallengeParameters"], params)
    mfa = b.public().respond_to_auth_challenge(
        ClientId=client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=responses
    )
    assert mfa["ChallengeName"] == "SMS_MFA"
    # The exchange is spent for every process.
    fails(
        lambda: a.public().respond_to_auth_challenge(
            ClientId=client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=responses
        ),
        "NotAuthorizedException",
        "Invalid session for the user.",
    )
    code = a.latest_code(pool_id, number)
    wrong = "000000" if code != "000000" else "111111"

    def answer_on(server: Server, value: str) -> Any:
        return server.public().respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="SMS_MFA",
            Session=mfa["Session"],
            ChallengeResponses={"USERNAME": user, "SMS_MFA_CODE": value},
        )

    for server in (a, b, a):
        fails(lambda server=server: answer_on(server, wrong), "CodeMismatchException")
    fails(lambda: answer_on(b, code), "NotAuthorizedException", "Invalid session for the user.")
