"""SigV4 verification against requests signed by botocore's own signer."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.protocols.sigv4 import (
    SignatureError,
    SignedRequest,
    Verified,
    access_key_id,
    verify,
)

AKID = "AKIAMAMORITEST000001"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYzEXAMPLEKEY"
TOKEN = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN//////////wEaDA=="
URL = "https://cognito-idp.us-east-1.amazonaws.com/"
FIXED = datetime(2026, 11, 26, 12, 30, 0, tzinfo=UTC)


def secrets(akid: str) -> str | None:
    return {AKID: SECRET}.get(akid)


def to_signed(request: AWSRequest) -> SignedRequest:
    """What the API layer would hand over: raw path and query, lower-cased headers, Host."""
    parts = urlsplit(request.url)
    headers = {name.lower(): value for name, value in request.headers.items()}
    headers.setdefault("host", parts.netloc)
    body = request.body or b""
    assert isinstance(body, bytes)
    return SignedRequest(
        method=request.method,
        path=parts.path,
        query=parts.query,
        headers=headers,
        body=body,
    )


def aws_request(
    body: bytes = b'{"ClientId":"abc"}',
    target: str = "AWSCognitoIdentityProviderService.InitiateAuth",
    url: str = URL,
    extra_headers: dict[str, str] | None = None,
) -> AWSRequest:
    headers = {
        "X-Amz-Target": target,
        "Content-Type": "application/x-amz-json-1.1",
        **(extra_headers or {}),
    }
    return AWSRequest(method="POST", url=url, data=body, headers=headers)


def sign_now(request: AWSRequest, token: str | None = None, secret: str = SECRET) -> SignedRequest:
    """Sign with botocore exactly as an SDK call would (botocore reads the real clock)."""
    SigV4Auth(Credentials(AKID, secret, token), "cognito-idp", "us-east-1").add_auth(request)
    return to_signed(request)


def sign_at(request: AWSRequest, when: datetime, akid: str = AKID) -> SignedRequest:
    """Sign with botocore's public canonicalisation at a fixed time, for skew tests."""
    signer = SigV4Auth(Credentials(akid, SECRET), "cognito-idp", "us-east-1")
    request.context["timestamp"] = when.strftime("%Y%m%dT%H%M%SZ")
    request.headers["X-Amz-Date"] = request.context["timestamp"]
    signature = signer.signature(
        signer.string_to_sign(request, signer.canonical_request(request)), request
    )
    signed_headers = signer.signed_headers(signer.headers_to_sign(request))
    request.headers["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={signer.scope(request)}, "
        f"SignedHeaders={signed_headers}, Signature={signature}"
    )
    return to_signed(request)


def signed_time(request: SignedRequest) -> datetime:
    """The instant botocore signed at, so tests never read the clock themselves."""
    return datetime.strptime(request.headers["x-amz-date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def with_headers(request: SignedRequest, **changes: str) -> SignedRequest:
    return replace(request, headers={**request.headers, **changes})


def without_header(request: SignedRequest, name: str) -> SignedRequest:
    return replace(request, headers={k: v for k, v in request.headers.items() if k != name})


def error_code(request: SignedRequest, now: datetime | None = None) -> str:
    with pytest.raises(SignatureError) as caught:
        verify(request, secrets, now or signed_time(request))
    return caught.value.code


# -- accepted ---------------------------------------------------------------------------------


def test_botocore_signed_request_verifies() -> None:
    request = sign_now(aws_request())
    assert verify(request, secrets, signed_time(request)) == Verified(
        access_key_id=AKID, region="us-east-1", service="cognito-idp"
    )


def test_session_token_is_signed_and_returned() -> None:
    request = sign_now(aws_request(), token=TOKEN)
    assert "x-amz-security-token" in request.headers["authorization"]
    verified = verify(request, secrets, signed_time(request))
    assert verified.session_token == TOKEN


def test_empty_body_verifies() -> None:
    request = sign_now(aws_request(body=b""))
    assert verify(request, secrets, signed_time(request)).access_key_id == AKID


def test_path_and_query_are_canonicalised_like_botocore() -> None:
    url = "https://cognito-idp.us-east-1.amazonaws.com/a/./b//../c%20d/?b=2&a=x%2Ay&a=1"
    request = sign_now(aws_request(url=url))
    assert request.path == "/a/./b//../c%20d/"
    assert verify(request, secrets, signed_time(request)).service == "cognito-idp"


def test_header_values_are_trimmed_and_collapsed() -> None:
    request = sign_now(aws_request(extra_headers={"X-Custom": "  a   b  c "}))
    assert verify(request, secrets, signed_time(request)).region == "us-east-1"


def test_matching_content_sha256_header_is_accepted() -> None:
    body = b'{"ClientId":"abc"}'
    digest = hashlib.sha256(body).hexdigest()
    request = sign_now(aws_request(body=body, extra_headers={"X-Amz-Content-SHA256": digest}))
    assert verify(request, secrets, signed_time(request)).access_key_id == AKID


def test_aws_documentation_example() -> None:
    # The worked example from AWS's SigV4 documentation (IAM ListUsers), independent of botocore.
    request = SignedRequest(
        method="GET",
        path="/",
        query="Action=ListUsers&Version=2010-05-08",
        headers={
            "authorization": (
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
                "SignedHeaders=content-type;host;x-amz-date, "
                "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
            ),
            "content-type": "application/x-www-form-urlencoded; charset=utf-8",
            "host": "iam.amazonaws.com",
            "x-amz-date": "20150830T123600Z",
        },
        body=b"",
    )
    secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    now = datetime(2015, 8, 30, 12, 36, tzinfo=UTC)
    verified = verify(request, {"AKIDEXAMPLE": secret}.get, now)
    assert (verified.region, verified.service) == ("us-east-1", "iam")


def test_access_key_id_is_read_before_verification() -> None:
    assert access_key_id(sign_now(aws_request())) == AKID


def test_skew_within_window_is_accepted() -> None:
    request = sign_at(aws_request(), FIXED)
    for offset in (timedelta(minutes=-5), timedelta(0), timedelta(minutes=5)):
        assert verify(request, secrets, FIXED + offset).access_key_id == AKID


def test_now_in_another_timezone_is_converted() -> None:
    request = sign_at(aws_request(), FIXED)
    tokyo = FIXED.astimezone(timezone(timedelta(hours=9)))
    assert verify(request, secrets, tokyo).access_key_id == AKID


# -- rejected ---------------------------------------------------------------------------------


def test_tampered_body() -> None:
    request = sign_now(aws_request())
    tampered = replace(request, body=b'{"ClientId":"abd"}')
    assert error_code(tampered) == "InvalidSignatureException"


def test_tampered_signed_header() -> None:
    request = sign_now(aws_request())
    tampered = with_headers(request, **{"x-amz-target": "AWSCognitoIdentityProviderService.SignUp"})
    assert error_code(tampered) == "InvalidSignatureException"


def test_tampered_method_path_and_query() -> None:
    request = sign_now(aws_request())
    for tampered in (
        replace(request, method="PUT"),
        replace(request, path="/other"),
        replace(request, query="a=1"),
    ):
        assert error_code(tampered) == "InvalidSignatureException"


def test_unsigned_header_may_change() -> None:
    request = sign_now(aws_request())
    changed = with_headers(request, **{"user-agent": "something-else"})
    assert verify(changed, secrets, signed_time(changed)).access_key_id == AKID


def test_wrong_secret() -> None:
    request = sign_now(aws_request(), secret="not-the-secret")
    with pytest.raises(SignatureError) as caught:
        verify(request, secrets, signed_time(request))
    assert caught.value.code == "InvalidSignatureException"
    assert caught.value.message.startswith("The request signature we calculated does not match")
    assert SECRET not in str(caught.value) and SECRET not in repr(caught.value)


def test_unknown_access_key() -> None:
    request = sign_at(aws_request(), FIXED, akid="AKIAUNKNOWN")
    with pytest.raises(SignatureError) as caught:
        verify(request, secrets, FIXED)
    assert caught.value.code == "UnrecognizedClientException"
    assert caught.value.message == "The security token included in the request is invalid."


def test_expired_signature() -> None:
    request = sign_at(aws_request(), FIXED)
    with pytest.raises(SignatureError) as caught:
        verify(request, secrets, FIXED + timedelta(minutes=5, seconds=1))
    assert caught.value.code == "InvalidSignatureException"
    # AWS's own text, e.g. "Signature expired: 20151120T200815Z is now earlier than
    # 20151120T201846Z (20151120T202346Z - 5 min.)".
    assert caught.value.message == (
        "Signature expired: 20261126T123000Z is now earlier than 20261126T123001Z "
        "(20261126T123501Z - 5 min.)"
    )


@pytest.mark.parametrize("minutes", [6, 14])
def test_more_than_five_minutes_of_skew_is_refused(minutes: int) -> None:
    request = sign_at(aws_request(), FIXED)
    for now in (FIXED + timedelta(minutes=minutes), FIXED - timedelta(minutes=minutes)):
        assert error_code(request, now=now) == "InvalidSignatureException"


def test_signature_from_the_future() -> None:
    request = sign_at(aws_request(), FIXED)
    with pytest.raises(SignatureError) as caught:
        verify(request, secrets, FIXED - timedelta(hours=1))
    assert caught.value.code == "InvalidSignatureException"
    assert caught.value.message.startswith(
        "Signature not yet current: 20261126T123000Z is still later than 20261126T113500Z"
    )


def test_botocore_signature_far_from_now_is_expired() -> None:
    request = sign_now(aws_request())
    assert error_code(request, now=signed_time(request) + timedelta(days=1)) == (
        "InvalidSignatureException"
    )


def test_custom_max_skew() -> None:
    request = sign_at(aws_request(), FIXED)
    assert verify(request, secrets, FIXED + timedelta(minutes=9), max_skew=timedelta(minutes=10))
    with pytest.raises(SignatureError, match=r"- 10 min\."):
        verify(request, secrets, FIXED + timedelta(minutes=11), max_skew=timedelta(minutes=10))


def test_missing_authorization_header() -> None:
    request = without_header(sign_now(aws_request()), "authorization")
    with pytest.raises(SignatureError) as caught:
        verify(request, secrets, FIXED)
    assert caught.value.code == "MissingAuthenticationTokenException"
    assert caught.value.message == "Missing Authentication Token"


@pytest.mark.parametrize(
    ("authorization", "fragment"),
    [
        ("garbage", "AWS4-HMAC-SHA256"),
        ("AWS4-HMAC-SHA1 Credential=a", "AWS4-HMAC-SHA256"),
        ("AWS4-HMAC-SHA256 nonsense", "name=value"),
        ("AWS4-HMAC-SHA256 SignedHeaders=host, Signature=ab", "'Credential'"),
        ("AWS4-HMAC-SHA256 Credential=A/20261126/us-east-1/cognito-idp/aws4_request", "Signed"),
        (
            "AWS4-HMAC-SHA256 Credential=A/20261126/us-east-1/cognito-idp/aws4_request, "
            "SignedHeaders=host",
            "'Signature'",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=A/20261126/us-east-1/aws4_request, "
            "SignedHeaders=host, Signature=ab",
            "Credential must be",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=A/20261126/us-east-1/cognito-idp/aws5_request, "
            "SignedHeaders=host, Signature=ab",
            "valid terminator",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=A/20261125/us-east-1/cognito-idp/aws4_request, "
            "SignedHeaders=host, Signature=ab",
            "'20261125' != '20261126'",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=A/20261126/us-east-1/cognito-idp/aws4_request, "
            "SignedHeaders=x-amz-date, Signature=ab",
            "'Host' must be a 'SignedHeader'",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=A/20261126/us-east-1/cognito-idp/aws4_request, "
            "SignedHeaders=host;x-absent, Signature=ab",
            "'x-absent'",
        ),
    ],
)
def test_malformed_authorization_header(authorization: str, fragment: str) -> None:
    request = SignedRequest(
        method="POST",
        path="/",
        query="",
        headers={"authorization": authorization, "host": "h", "x-amz-date": "20261126T123000Z"},
        body=b"{}",
    )
    with pytest.raises(SignatureError) as caught:
        verify(request, secrets, FIXED)
    assert caught.value.code == "IncompleteSignatureException"
    assert fragment in caught.value.message


MUST_SIGN = ("host", "x-amz-target", "content-type")


@pytest.mark.parametrize(
    ("name", "shown"), [("x-amz-target", "X-Amz-Target"), ("content-type", "Content-Type")]
)
def test_required_headers_must_be_signed(name: str, shown: str) -> None:
    # botocore signs every header it sends; build a signature that leaves one out.
    request = aws_request()
    signer = SigV4Auth(Credentials(AKID, SECRET), "cognito-idp", "us-east-1")
    original = signer.headers_to_sign

    def without(req: AWSRequest) -> object:
        headers = original(req)
        del headers[name]
        return headers

    signer.headers_to_sign = without  # type: ignore[method-assign]
    signer.add_auth(request)
    signed = to_signed(request)
    assert name not in signed.headers["authorization"].split("SignedHeaders=")[1].split(",")[0]
    # Without the requirement the signature is valid: the header could be swapped freely.
    assert verify(signed, secrets, signed_time(signed)).access_key_id == AKID
    with pytest.raises(SignatureError) as caught:
        verify(signed, secrets, signed_time(signed), must_sign=MUST_SIGN)
    assert caught.value.code == "IncompleteSignatureException"
    assert caught.value.message == f"'{shown}' must be a 'SignedHeader' in the AWS Authorization."


def test_botocore_signs_every_required_header() -> None:
    request = sign_now(aws_request())
    assert verify(request, secrets, signed_time(request), must_sign=MUST_SIGN).access_key_id == AKID


def test_scope_for_another_service_is_refused() -> None:
    request = aws_request()
    SigV4Auth(Credentials(AKID, SECRET), "cognito-identity", "us-east-1").add_auth(request)
    signed = to_signed(request)
    assert verify(signed, secrets, signed_time(signed)).service == "cognito-identity"
    with pytest.raises(SignatureError) as caught:
        verify(signed, secrets, signed_time(signed), service="cognito-idp")
    assert caught.value.code == "InvalidSignatureException"
    assert caught.value.message == "Credential should be scoped to correct service: 'cognito-idp'."
    right = sign_now(aws_request())
    assert (
        verify(right, secrets, signed_time(right), service="cognito-idp").service == "cognito-idp"
    )


def test_missing_amz_date() -> None:
    request = without_header(sign_now(aws_request()), "x-amz-date")
    with pytest.raises(SignatureError, match="X-Amz-Date") as caught:
        verify(request, secrets, FIXED)
    assert caught.value.code == "IncompleteSignatureException"


@pytest.mark.parametrize(
    "amz_date", ["2026-11-26T12:30:00Z", "20261126T123000", "2026112T1230000Z", "20261326T123000Z"]
)
def test_malformed_amz_date(amz_date: str) -> None:
    request = with_headers(sign_at(aws_request(), FIXED), **{"x-amz-date": amz_date})
    with pytest.raises(SignatureError, match="ISO-8601") as caught:
        verify(request, secrets, FIXED)
    assert caught.value.code == "IncompleteSignatureException"


def test_mismatched_content_sha256_header() -> None:
    request = with_headers(sign_now(aws_request()), **{"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    assert error_code(request) == "InvalidSignatureException"


def test_non_ascii_signature_is_a_mismatch_not_a_crash() -> None:
    request = sign_now(aws_request())
    header = request.headers["authorization"]
    mangled = header[: header.index("Signature=")] + "Signature=\udcff\u00e9"
    assert error_code(with_headers(request, authorization=mangled)) == "InvalidSignatureException"


def test_naive_now_is_a_programming_error() -> None:
    request = sign_at(aws_request(), FIXED)
    with pytest.raises(ValueError, match="aware"):
        verify(request, secrets, FIXED.replace(tzinfo=None))


# -- properties -------------------------------------------------------------------------------

targets = st.sampled_from(
    ["InitiateAuth", "SignUp", "AdminCreateUser", "ListUsers", "GetUser", "X"]
).map(lambda name: f"AWSCognitoIdentityProviderService.{name}")


@settings(max_examples=60, deadline=None)
@given(body=st.binary(max_size=512), target=targets, token=st.none() | st.just(TOKEN))
def test_any_botocore_signed_request_verifies(body: bytes, target: str, token: str | None) -> None:
    request = sign_now(aws_request(body=body, target=target), token=token)
    assert verify(request, secrets, signed_time(request)).session_token == token


@settings(max_examples=60, deadline=None)
@given(body=st.binary(max_size=256), flip=st.binary(min_size=1, max_size=8))
def test_any_body_change_is_detected(body: bytes, flip: bytes) -> None:
    request = sign_now(aws_request(body=body))
    assert error_code(replace(request, body=body + flip)) == "InvalidSignatureException"
