"""Server side of Cognito's SRP-6a (USER_SRP_AUTH / DEVICE_SRP_AUTH): verifiers, B, claim checks.

RFC 5054 group and SRP-6a math, with the byte encodings of Cognito's clients
(amazon-cognito-identity-js AuthenticationHelper, Amplify v6 srp/, pycognito aws_srp).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import gmpy2

# RFC 5054 Appendix A, 3072-bit group; the clients hard-code this N with g = 2.
N_HEX = (
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A0879"
    "8E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B"
    "0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA4836"
    "1C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804"
    "F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6"
    "955817183995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64"
    "ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7ABF5AE8CDB0933D71E8C94E04A25619DCEE3D226"
    "1AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2"
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"
)
N = int(N_HEX, 16)
G = 2
_N_BYTES = 384
_SALT_BYTES = 16  # Cognito: the clients' device salts are 16 random bytes; we use the same
_B_BITS = 256  # RFC 5054 2.5.3: b "at least 256 bits"
_MAX_HEX = 2 * (_N_BYTES + 1)  # A < N in padHex form; anything longer is not a client's A
_HEX = re.compile(r"[0-9a-fA-F]+")
_INFO = b"Caldera Derived Key\x01"  # Cognito: HKDF info, single-block expand (T(1) only)
_SURROGATE = re.compile("[\ud800-\udfff]")


class SrpError(ValueError):
    """A client-supplied SRP value is malformed or unsafe (A % N == 0, verifier out of range)."""


def pad_hex(value: int) -> str:
    """Hex of a non-negative int as Java's BigInteger.toByteArray: even length, sign byte.

    # Cognito: every client hashes numbers in this form (AuthenticationHelper.padHex): an odd
    # length gets a leading "0", and a leading nibble >= 8 gets "00" so it reads as positive.
    """
    text = f"{value:x}"
    if len(text) % 2:
        text = "0" + text
    if text[0] in "89abcdef":
        text = "00" + text
    return text


def _padded(value: int) -> bytes:
    return bytes.fromhex(pad_hex(value))


def _sha256_int(data: bytes) -> int:
    return int.from_bytes(hashlib.sha256(data).digest(), "big")


def _utf8(text: str) -> bytes:
    # Cognito: the JS clients encode with Buffer/TextEncoder, which turn a lone surrogate (legal
    # in JSON "\ud800") into U+FFFD instead of failing.
    return _SURROGATE.sub("\ufffd", text).encode("utf-8")


def _powmod_secret(base: int, exponent: int, modulus: int) -> int:
    # GMP's mpz_powm_sec: constant-time in the exponent (b and x are secret), and still ~4x
    # faster than CPython's pow() at 3072 bits (bench/srp_micro.py). With the GIL released, a
    # caller can run it in worker threads on several cores.
    with gmpy2.context(allow_release_gil=True):
        return int(gmpy2.powmod_sec(base, exponent, modulus))


def _powmod_public(base: int, exponent: int, modulus: int) -> int:
    with gmpy2.context(allow_release_gil=True):
        return int(gmpy2.powmod(base, exponent, modulus))


# k = H(N | g), both padded: H(00 || N || 02).
K = _sha256_int(_padded(N) + _padded(G))


def pool_name(pool_id: str) -> str:
    """The "pool name" the clients hash: the user pool id after the underscore.

    # Cognito: `userPoolId.split('_')[1]` in every client; the region part is not hashed.
    """
    parts = pool_id.split("_")
    return parts[1] if len(parts) > 1 else ""


def _x(salt: bytes, realm: str, user_id: str, password: str) -> int:
    # x = H(salt | H(realm + user_id + ":" + password)), RFC 5054 2.6 with Cognito's realm prefix.
    # Cognito: the clients parse SALT as a BigInteger and re-pad it, so leading zero bytes of the
    # stored salt are insignificant; hashing pad_hex(int(salt)) matches them for any salt.
    inner = hashlib.sha256(_utf8(f"{realm}{user_id}:{password}")).digest()
    return _sha256_int(_padded(int.from_bytes(salt, "big")) + inner)


@dataclass(frozen=True)
class Verifier:
    """What the server stores per password: the salt and v = g^x mod N.

    `salt` is raw bytes, read as a big-endian unsigned integer; it goes on the wire as
    `salt_hex`. Sensitive (an offline guessing target): seal it at rest, keep it out of logs.
    """

    salt: bytes
    verifier: int = field(repr=False)

    @property
    def salt_hex(self) -> str:
        """The SALT challenge parameter.

        # Cognito: must be in padHex form. pycognito pads the hex string it receives without
        # parsing it, the JS clients parse it to an integer first; they agree only on this form.
        """
        return pad_hex(int.from_bytes(self.salt, "big"))

    def to_bytes(self) -> bytes:
        """Fixed layout for storage: len(salt), salt, v (384 bytes)."""
        return bytes([len(self.salt)]) + self.salt + self.verifier.to_bytes(_N_BYTES, "big")

    @classmethod
    def from_bytes(cls, data: bytes) -> Verifier:
        if not data or len(data) != 1 + data[0] + _N_BYTES:
            raise SrpError("malformed verifier record")
        return cls(data[1 : 1 + data[0]], int.from_bytes(data[1 + data[0] :], "big"))


def make_verifier(realm: str, user_id: str, password: str, salt: bytes | None = None) -> Verifier:
    """Verifier for a password, computed when the password is set.

    `realm` is `pool_name(pool_id)` for users; `user_id` is the name later returned as
    USER_ID_FOR_SRP (the clients hash that, not what the user typed).
    """
    salt = secrets.token_bytes(_SALT_BYTES) if salt is None else salt
    if not 0 < len(salt) < 256:
        raise SrpError("salt must be 1..255 bytes")
    return Verifier(salt, _powmod_secret(G, _x(salt, realm, user_id, password), N))


def decoy_verifier(key: bytes, realm: str, user_id: str) -> Verifier:
    """A stable, unusable verifier for an unknown user, so the challenge does not reveal it.

    Same salt for the same name on every attempt (a real user's salt does not change either);
    v is a keyed hash rather than g^x, so nobody knows a password for it and it costs no modexp.
    """
    seed = hmac.new(key, _utf8(f"{realm}\x00{user_id}"), hashlib.sha256).digest()
    stream = b"".join(hashlib.sha256(seed + bytes([i])).digest() for i in range(_N_BYTES // 32 + 1))
    return Verifier(stream[:_SALT_BYTES], int.from_bytes(stream[_SALT_BYTES:], "big") % N or 1)


def _b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise SrpError("not base64") from None


def device_verifier_from_client(salt_b64: str, verifier_b64: str) -> Verifier:
    """The verifier a client sent in ConfirmDevice's DeviceSecretVerifierConfig.

    # Cognito: both are base64 of the padHex bytes (generateHashDevice); realm is the device
    # group key and user_id the device key, with a random password only the device knows.
    """
    salt = _b64decode(salt_b64)
    raw = _b64decode(verifier_b64)
    if not 0 < len(salt) < 256:
        raise SrpError("device salt must be 1..255 bytes")
    verifier = int.from_bytes(raw, "big") if 0 < len(raw) <= _N_BYTES + 1 else 0
    if not 0 < verifier < N:
        raise SrpError("device verifier out of range")
    return Verifier(salt, verifier)


def parse_srp_a(text: str) -> int:
    """SRP_A from the wire: hex, and 0 < A < N.

    RFC 5054 2.5.4: the host MUST abort if A % N == 0. Clients send g^a mod N, always < N,
    so A >= N is refused too (which also bounds the work a request can ask for).
    """
    if len(text) > _MAX_HEX or not _HEX.fullmatch(text):
        raise SrpError("SRP_A is not a hex number")
    value = int(text, 16)
    if not 0 < value < N:
        raise SrpError("SRP_A out of range")
    return value


def _u(big_a: int, big_b: int) -> int:
    # u = H(PAD(A) | PAD(B)), RFC 5054 2.6; Cognito: padHex, not fixed-width PAD.
    return _sha256_int(_padded(big_a) + _padded(big_b))


@dataclass(frozen=True)
class ServerChallenge:
    """One SRP exchange: the client's A, our secret b and public B. Seal it; b never leaves."""

    A: int
    b: int = field(repr=False)
    B: int

    @property
    def srp_b(self) -> str:
        """The SRP_B challenge parameter (the clients parse it as a hex BigInteger)."""
        return f"{self.B:x}"

    def to_bytes(self) -> bytes:
        """Fixed layout (32 + 384 + 384 bytes) for the caller to seal into SECRET_BLOCK/Session."""
        return (
            self.b.to_bytes(_B_BITS // 8, "big")
            + self.A.to_bytes(_N_BYTES, "big")
            + self.B.to_bytes(_N_BYTES, "big")
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> ServerChallenge:
        if len(data) != _B_BITS // 8 + 2 * _N_BYTES:
            raise SrpError("malformed SRP state")
        b = int.from_bytes(data[: _B_BITS // 8], "big")
        big_a = int.from_bytes(data[_B_BITS // 8 : _B_BITS // 8 + _N_BYTES], "big")
        return cls(A=big_a, b=b, B=int.from_bytes(data[_B_BITS // 8 + _N_BYTES :], "big"))


def start(verifier: Verifier, big_a: int, *, b: int | None = None) -> ServerChallenge:
    """B = k*v + g^b mod N for the client's A (RFC 5054 2.6). `b` is for test vectors only."""
    if not 0 < big_a < N:
        raise SrpError("SRP_A out of range")  # RFC 5054 2.5.4
    if b is not None and not 0 < b < 1 << _B_BITS:
        raise SrpError("b must be 1..256 bits")
    while True:
        secret = secrets.randbits(_B_BITS) | 1 << (_B_BITS - 1) if b is None else b
        big_b = (K * verifier.verifier + _powmod_secret(G, secret, N)) % N
        # The clients abort on B % N == 0 or u == 0; with a random b this never repeats.
        if big_b != 0 and _u(big_a, big_b) != 0:
            return ServerChallenge(A=big_a, b=secret, B=big_b)
        if b is not None:
            raise SrpError("b gives a degenerate B or u")


def _session_key(verifier: Verifier, challenge: ServerChallenge) -> bytes:
    u = _u(challenge.A, challenge.B)
    # S = (A * v^u) ^ b mod N (RFC 5054 2.6); same value as the client's (B - k*g^x)^(a + u*x).
    base = challenge.A * _powmod_public(verifier.verifier, u, N) % N
    s = _powmod_secret(base, challenge.b, N)
    # Cognito: HKDF-SHA256 (RFC 5869) with salt = padHex(u), ikm = padHex(S), 16 bytes.
    prk = hmac.new(_padded(u), _padded(s), hashlib.sha256).digest()
    return hmac.new(prk, _INFO, hashlib.sha256).digest()[:16]


def claim_signature(
    verifier: Verifier,
    challenge: ServerChallenge,
    *,
    realm: str,
    user_id: str,
    secret_block: bytes,
    timestamp: str,
) -> bytes:
    """The PASSWORD_CLAIM_SIGNATURE a client holding the password computes (raw HMAC bytes).

    # Cognito: HMAC-SHA256(K, realm | user_id | secret block bytes | TIMESTAMP), where realm is
    # the pool name (device group key for devices) and user_id USER_ID_FOR_SRP (device key).
    """
    message = _utf8(realm) + _utf8(user_id) + secret_block + _utf8(timestamp)
    return hmac.new(_session_key(verifier, challenge), message, hashlib.sha256).digest()


def check_claim(
    verifier: Verifier,
    challenge: ServerChallenge,
    *,
    realm: str,
    user_id: str,
    secret_block: bytes,
    timestamp: str,
    signature_b64: str,
    now: datetime,
    skew: timedelta = timedelta(minutes=5),
) -> bool:
    """True when the client proved knowledge of the password for this challenge, at about `now`.

    `secret_block` is the PASSWORD_CLAIM_SECRET_BLOCK bytes the client echoed; the caller must
    already trust it (it opened its AEAD seal, or compared it with the one it issued).
    """
    if not timestamp_ok(timestamp, now, skew):
        return False
    try:
        signature = _b64decode(signature_b64)
    except SrpError:
        return False
    expected = claim_signature(
        verifier,
        challenge,
        realm=realm,
        user_id=user_id,
        secret_block=secret_block,
        timestamp=timestamp,
    )
    return hmac.compare_digest(signature, expected)


# Cognito: TIMESTAMP is "ddd MMM D HH:mm:ss UTC YYYY" (DateHelper.getNowString), English names,
# day of month NOT zero-padded ("Tue Nov 5 09:04:03 UTC 2024"); AWS refuses "Nov 05" and a wrong
# weekday, so a timestamp must be exactly in this canonical form.
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TIMESTAMP = re.compile(
    r"(?a)[A-Z][a-z]{2} ([A-Z][a-z]{2}) ([1-9]\d?) (\d\d):(\d\d):(\d\d) UTC (\d{1,4})"
)


def format_timestamp(moment: datetime) -> str:
    """The TIMESTAMP a client would send at `moment` (an aware datetime)."""
    if moment.tzinfo is None:
        raise ValueError("timestamp needs an aware datetime")
    moment = moment.astimezone(UTC)
    return (
        f"{_WEEKDAYS[moment.weekday()]} {_MONTHS[moment.month - 1]} {moment.day} "
        f"{moment:%H:%M:%S} UTC {moment.year}"
    )


def parse_timestamp(text: str) -> datetime | None:
    """The instant of a canonical TIMESTAMP, None for anything else (padded day, wrong weekday)."""
    match = _TIMESTAMP.fullmatch(text)
    if match is None or match[1] not in _MONTHS:
        return None
    day, hour, minute, second, year = map(int, match.groups()[1:])
    try:
        moment = datetime(year, _MONTHS.index(match[1]) + 1, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None
    return moment if format_timestamp(moment) == text else None


def timestamp_ok(text: str, now: datetime, skew: timedelta = timedelta(minutes=5)) -> bool:
    """Canonical and within `skew` of `now` either way (the clients sign their own clock)."""
    if now.tzinfo is None:
        raise ValueError("timestamp check needs an aware datetime")
    moment = parse_timestamp(text)
    return moment is not None and abs(moment - now) <= skew
