"""Server-side verification of AWS Signature Version 4, header form (AWS4-HMAC-SHA256).

Spec: https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, unquote

ALGORITHM = "AWS4-HMAC-SHA256"
_TERMINATOR = "aws4_request"
_AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
# AWS refuses a signature dated more than five minutes from its clock, either way.
MAX_SKEW = timedelta(minutes=5)
# Headers a signature must cover whatever the caller adds: without Host a signature could be
# replayed to another endpoint; AWS JSON services also require the operation and content type.
ALWAYS_SIGNED = ("host",)
_DISPLAY_NAMES = {"host": "Host", "x-amz-target": "X-Amz-Target", "content-type": "Content-Type"}

MISSING_AUTHENTICATION = "MissingAuthenticationTokenException"
INCOMPLETE_SIGNATURE = "IncompleteSignatureException"
UNRECOGNIZED_CLIENT = "UnrecognizedClientException"
INVALID_SIGNATURE = "InvalidSignatureException"

_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)


@dataclass(frozen=True)
class SignedRequest:
    """An HTTP request as received; `path` and `query` are raw (still percent-encoded)."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes


class SignatureError(Exception):
    """A request failed authentication; `code` is the AWS error code to render."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"SignatureError({self.code!r}, {self.message!r})"


@dataclass(frozen=True)
class Verified:
    """Who signed a request and for which scope; the session token still needs checking."""

    access_key_id: str
    region: str
    service: str
    session_token: str | None = None


@dataclass(frozen=True)
class _Authorization:
    access_key_id: str
    scope_date: str
    region: str
    service: str
    signed_headers: str
    signature: str
    amz_date: str
    timestamp: datetime


def access_key_id(request: SignedRequest) -> str:
    """The access key id a request claims, so callers can fetch its secret before `verify`.

    Raises the same SignatureError as `verify` for a missing or malformed signature.
    """
    return _parse(request).access_key_id


def verify(
    request: SignedRequest,
    secret_for: Callable[[str], str | None],
    now: datetime,
    max_skew: timedelta = MAX_SKEW,
    *,
    service: str | None = None,
    must_sign: Collection[str] = ALWAYS_SIGNED,
) -> Verified:
    """Check a request's SigV4 signature; raise SignatureError saying why it is not valid.

    `service`, when given, is the only credential scope service accepted; `must_sign` names
    the (lower-case) headers that SignedHeaders must include.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    auth = _parse(request, must_sign)
    if service is not None and auth.service != service:
        # A signature made for another service must not be accepted here, even with our key.
        raise SignatureError(
            INVALID_SIGNATURE, f"Credential should be scoped to correct service: '{service}'."
        )
    secret = secret_for(auth.access_key_id)
    if secret is None:
        raise SignatureError(
            UNRECOGNIZED_CLIENT, "The security token included in the request is invalid."
        )
    _check_skew(auth, now.astimezone(UTC), max_skew)
    body_hash = hashlib.sha256(request.body).hexdigest()
    claimed_hash = request.headers.get("x-amz-content-sha256")
    # The canonical request would carry the claimed hash; a claim that differs from the body
    # (including S3's UNSIGNED-PAYLOAD) would let the body be swapped under a valid signature.
    if claimed_hash is not None and claimed_hash != body_hash:
        raise SignatureError(
            INVALID_SIGNATURE,
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        )
    canonical = _canonical_request(request, auth, body_hash)
    scope = f"{auth.scope_date}/{auth.region}/{auth.service}/{_TERMINATOR}"
    string_to_sign = "\n".join(
        (ALGORITHM, auth.amz_date, scope, hashlib.sha256(_utf8(canonical)).hexdigest())
    )
    key = _signing_key(secret, auth.scope_date, auth.region, auth.service)
    expected = hmac.new(key, _utf8(string_to_sign), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), _utf8(auth.signature)):
        raise SignatureError(INVALID_SIGNATURE, _MISMATCH)
    return Verified(
        access_key_id=auth.access_key_id,
        region=auth.region,
        service=auth.service,
        session_token=request.headers.get("x-amz-security-token"),
    )


def _incomplete(message: str) -> SignatureError:
    return SignatureError(INCOMPLETE_SIGNATURE, message)


def _parse(request: SignedRequest, must_sign: Collection[str] = ALWAYS_SIGNED) -> _Authorization:
    header = request.headers.get("authorization")
    if header is None or not header.strip():
        raise SignatureError(MISSING_AUTHENTICATION, "Missing Authentication Token")
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise _incomplete(f"Authorization header must use the {ALGORITHM} algorithm.")
    params: dict[str, str] = {}
    for component in rest.split(","):
        name, eq, value = component.strip().partition("=")
        if not eq:
            raise _incomplete(
                f"Authorization header is malformed: expected 'name=value', got '{_shown(name)}'."
            )
        params[name] = value
    for required in ("Credential", "SignedHeaders", "Signature"):
        if not params.get(required):
            raise _incomplete(f"Authorization header requires '{required}' parameter.")

    amz_date = request.headers.get("x-amz-date")
    if amz_date is None:
        raise _incomplete("Authorization header requires existence of a 'X-Amz-Date' header.")
    timestamp = _parse_amz_date(amz_date)

    parts = params["Credential"].split("/")
    if len(parts) != 5 or not all(parts[:4]):
        raise _incomplete(
            "Authorization header's Credential must be "
            "'<access key id>/<YYYYMMDD>/<region>/<service>/aws4_request'."
        )
    akid, scope_date, region, service, terminator = parts
    if terminator != _TERMINATOR:
        raise _incomplete(
            f"Credential should be scoped with a valid terminator: '{_TERMINATOR}', "
            f"not '{_shown(terminator)}'."
        )
    if scope_date != amz_date[:8]:
        raise _incomplete(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{_shown(scope_date)}' != '{amz_date[:8]}', from '{amz_date}'."
        )

    signed_headers = params["SignedHeaders"]
    names = signed_headers.split(";")
    for required in must_sign:
        if required not in names:
            shown = _DISPLAY_NAMES.get(required, required)
            raise _incomplete(f"'{shown}' must be a 'SignedHeader' in the AWS Authorization.")
    for name in names:
        if name not in request.headers:
            raise _incomplete(f"Signed header '{_shown(name)}' is missing from the request.")

    return _Authorization(
        access_key_id=akid,
        scope_date=scope_date,
        region=region,
        service=service,
        signed_headers=signed_headers,
        signature=params["Signature"],
        amz_date=amz_date,
        timestamp=timestamp,
    )


def _shown(value: str) -> str:
    """A client's value quoted in an error, cut short: a header may be megabytes long."""
    return value if len(value) <= 64 else value[:64] + "..."


def _parse_amz_date(value: str) -> datetime:
    # strptime alone accepts unpadded fields ("2026112T..."), which SigV4's format does not.
    shape_ok = (
        len(value) == 16
        and value[8] == "T"
        and value[15] == "Z"
        and (value[:8] + value[9:15]).isdigit()
        and value.isascii()
    )
    if shape_ok:
        try:
            return datetime.strptime(value, _AMZ_DATE_FORMAT).replace(tzinfo=UTC)
        except ValueError:  # well-formed digits, impossible date such as month 13
            pass
    raise _incomplete(
        "X-Amz-Date must be in the ISO-8601 basic format YYYYMMDD'T'HHMMSS'Z', "
        f"not '{_shown(value)}'."
    )


def _check_skew(auth: _Authorization, now: datetime, max_skew: timedelta) -> None:
    minutes = int(max_skew.total_seconds() // 60)
    now_text = now.strftime(_AMZ_DATE_FORMAT)
    earliest = now - max_skew
    latest = now + max_skew
    if auth.timestamp < earliest:
        raise SignatureError(
            INVALID_SIGNATURE,
            f"Signature expired: {auth.amz_date} is now earlier than "
            f"{earliest.strftime(_AMZ_DATE_FORMAT)} ({now_text} - {minutes} min.)",
        )
    if auth.timestamp > latest:
        raise SignatureError(
            INVALID_SIGNATURE,
            f"Signature not yet current: {auth.amz_date} is still later than "
            f"{latest.strftime(_AMZ_DATE_FORMAT)} ({now_text} + {minutes} min.)",
        )


def _canonical_request(request: SignedRequest, auth: _Authorization, body_hash: str) -> str:
    headers = "".join(
        # Trimall: strip and collapse inner whitespace runs, as the spec (and botocore) do.
        f"{name}:{' '.join(request.headers[name].split())}\n"
        for name in auth.signed_headers.split(";")
    )
    return "\n".join(
        (
            request.method.upper(),
            _canonical_uri(request.path),
            _canonical_query(request.query),
            headers,
            auth.signed_headers,
            body_hash,
        )
    )


def _canonical_uri(raw_path: str) -> str:
    # Non-S3 services normalise the path (RFC 3986 5.2.4, plus collapsing empty segments) and
    # encode it a second time: the received path is already encoded once by the client.
    segments: list[str] = []
    for segment in raw_path.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment and segment != ".":
            segments.append(segment)
    path = "/" + "/".join(segments)
    if segments and raw_path.endswith("/"):
        path += "/"
    return quote(path, safe="/~")


def _canonical_query(raw_query: str) -> str:
    if not raw_query:
        return ""
    pairs: list[tuple[str, str]] = []
    for pair in raw_query.split("&"):
        name, _, value = pair.partition("=")
        # Decoding then re-encoding gives the spec's RFC 3986 form whatever encoding the
        # client put on the wire (e.g. '*' versus '%2A').
        pairs.append((_encode(name), _encode(value)))
    pairs.sort()
    return "&".join(f"{name}={value}" for name, value in pairs)


def _encode(component: str) -> str:
    return quote(unquote(component), safe="-_.~")


def _signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = _hmac(_utf8("AWS4" + secret), date)
    key = _hmac(key, region)
    key = _hmac(key, service)
    return _hmac(key, _TERMINATOR)


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, _utf8(message), hashlib.sha256).digest()


def _utf8(text: str) -> bytes:
    # Header values decoded by a framework may hold lone surrogates; they must fail the
    # comparison, not crash the request.
    return text.encode("utf-8", "surrogatepass")
