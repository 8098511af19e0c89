"""Software tokens (TOTP): AssociateSoftwareToken and VerifySoftwareToken with boto3 and pyotp
against the live server (clock drift, replay, the sign-in checks and SMS and email MFA codes,
in-process on a frozen clock: tests/services/auth/test_software_token.py)."""

from __future__ import annotations

import base64

import pyotp
import pytest
from botocore.exceptions import ClientError
from sqlalchemy import select
from tests.support.cognito import as_dict, error
from tests.support.factories import make_client, make_pool, make_user, sign_in
from tests.support.live import Server

from mamori.adapters.store.sql.connection.engine import make_sync_engine
from mamori.adapters.store.sql.tables import user_mfa

MISMATCH = ("EnableSoftwareTokenMFAException", "Code mismatch and fail enable Software Token MFA")


@pytest.fixture(scope="module")
def pool_id(server: Server) -> str:
    return str(make_pool(server)["Id"])


@pytest.fixture(scope="module")
def client_id(server: Server, pool_id: str) -> str:
    return str(make_client(server, pool_id)["ClientId"])


def signed_in(server: Server, pool_id: str, client_id: str) -> tuple[str, str]:
    username = make_user(server, pool_id)
    return username, str(sign_in(server, client_id, username)["AccessToken"])


def test_associate_and_verify(server: Server, pool_id: str, client_id: str) -> None:
    _, token = signed_in(server, pool_id, client_id)
    public = server.public()
    out = public.associate_software_token(AccessToken=token)
    secret = out["SecretCode"]
    assert "Session" not in out
    assert len(secret) >= 16 and secret.isalnum()
    assert len(base64.b32decode(secret)) == 20  # 160 bits, as RFC 4226 recommends
    verified = public.verify_software_token(
        AccessToken=token, UserCode=pyotp.TOTP(secret).now(), FriendlyDeviceName="phone"
    )
    assert verified["Status"] == "SUCCESS"
    assert "Session" not in verified


def test_a_wrong_code_is_refused(server: Server, pool_id: str, client_id: str) -> None:
    _, token = signed_in(server, pool_id, client_id)
    public = server.public()
    secret = public.associate_software_token(AccessToken=token)["SecretCode"]
    right = pyotp.TOTP(secret).now()
    wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"
    with pytest.raises(ClientError) as exc:
        public.verify_software_token(AccessToken=token, UserCode=wrong)
    assert error(exc) == MISMATCH
    # The token stays pending: the right code still verifies it.
    assert public.verify_software_token(AccessToken=token, UserCode=right)["Status"] == "SUCCESS"


def test_a_used_code_is_refused_a_second_time(server: Server, pool_id: str, client_id: str) -> None:
    _, token = signed_in(server, pool_id, client_id)
    public = server.public()
    secret = public.associate_software_token(AccessToken=token)["SecretCode"]
    code = pyotp.TOTP(secret).now()
    assert public.verify_software_token(AccessToken=token, UserCode=code)["Status"] == "SUCCESS"
    with pytest.raises(ClientError) as exc:
        public.verify_software_token(AccessToken=token, UserCode=code)
    assert error(exc) == MISMATCH


def test_verify_without_a_token(server: Server, pool_id: str, client_id: str) -> None:
    _, token = signed_in(server, pool_id, client_id)
    with pytest.raises(ClientError) as exc:
        server.public().verify_software_token(AccessToken=token, UserCode="123456")
    assert error(exc)[0] == "SoftwareTokenMFANotFoundException"


def test_repeated_wrong_codes_make_the_user_wait(
    server: Server, pool_id: str, client_id: str
) -> None:
    _, token = signed_in(server, pool_id, client_id)
    public = server.public()
    secret = public.associate_software_token(AccessToken=token)["SecretCode"]
    right = pyotp.TOTP(secret).now()
    wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"
    for _ in range(5):
        with pytest.raises(ClientError) as exc:
            public.verify_software_token(AccessToken=token, UserCode=wrong)
        assert error(exc) == MISMATCH
    with pytest.raises(ClientError) as exc:  # now even the right code waits
        public.verify_software_token(AccessToken=token, UserCode=right)
    assert error(exc)[0] == "TooManyRequestsException"


def test_request_shape_errors(server: Server, pool_id: str, client_id: str) -> None:
    _, token = signed_in(server, pool_id, client_id)
    public = server.public()
    with pytest.raises(ClientError) as exc:
        public.associate_software_token()
    assert error(exc)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        public.associate_software_token(AccessToken=token, Session="s" * 40)
    assert error(exc)[0] == "InvalidParameterException"
    for bad in ("12345a", "1234567"):
        with pytest.raises(ClientError) as exc:
            public.verify_software_token(AccessToken=token, UserCode=bad)
        assert error(exc)[0] == "InvalidParameterException"
    for call in (
        lambda: public.associate_software_token(AccessToken="not.a.token"),
        lambda: public.verify_software_token(AccessToken="not.a.token", UserCode="123456"),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error(exc)[0] == "NotAuthorizedException"


def test_secrets_are_sealed_at_rest(server: Server, pool_id: str, client_id: str) -> None:
    username, token = signed_in(server, pool_id, client_id)
    public = server.public()
    first = public.associate_software_token(AccessToken=token)["SecretCode"]
    public.verify_software_token(AccessToken=token, UserCode=pyotp.TOTP(first).now())
    pending = public.associate_software_token(AccessToken=token)["SecretCode"]
    user = server.admin().admin_get_user(UserPoolId=pool_id, Username=username)
    sub = as_dict(user["UserAttributes"])["sub"]
    engine = make_sync_engine(server.database_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(select(user_mfa).where(user_mfa.c.sub == sub)).one()
    finally:
        engine.dispose()
    stored = " ".join(str(v) for v in row)
    for secret in (first, pending):
        assert secret not in stored
        assert base64.b32decode(secret).hex() not in stored
    assert row.totp_sealed.startswith("v1.") and row.pending_sealed.startswith("v1.")
    assert row.totp_name is None  # no FriendlyDeviceName given
