"""The server's side of an SRP exchange (PASSWORD_VERIFIER, DEVICE_PASSWORD_VERIFIER): B, and
the check of the client's claim, with the server's SRP state sealed inside SECRET_BLOCK.

# Cognito: USER_SRP_AUTH returns no Session, and pycognito answers PASSWORD_VERIFIER without
# one, so the state cannot travel in the Session: SECRET_BLOCK carries it, AEAD-sealed (the
# clients treat it as opaque bytes, signed into their claim, and echo it back).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import anyio

from mamori.crypto import srp
from mamori.crypto.aead import Keyring, SealError
from mamori.domain.errors import InvalidParameterException, NotAuthorizedException
from mamori.domain.userpools.app_client import AppClient
from mamori.services.auth.challenge_session import INVALID_SESSION
from mamori.services.ports import Clock

PURPOSE = "srp-secret-block"
USER = "user"
DEVICE = "device"
# A user's password in a CUSTOM_AUTH sign-in (CHALLENGE_NAME SRP_A): DefineAuthChallenge goes on.
CUSTOM = "custom"


@dataclass(frozen=True)
class SrpState:
    """What a SECRET_BLOCK carries besides the SRP numbers: who the exchange is for."""

    pool_id: str
    client_id: str
    kind: str  # USER, CUSTOM or DEVICE
    sub: str  # for an unknown username, a stand-in of the same shape
    known: bool  # False: a decoy exchange nobody can win
    user_id: str  # what the client hashes: USER_ID_FOR_SRP, or the device key
    realm: str  # the pool name, or the device group key
    typed: str  # the username as typed (lockout and rate limits count by it)
    device_key: str | None
    nonce: str  # the exchange is single-use; a device exchange shares its Session's nonce
    expires: float
    challenge: srp.ServerChallenge


def parse_a(value: str | None, name: str = "SRP_A") -> int:
    if not value:
        raise InvalidParameterException(f"Missing required parameter {name}")
    try:
        return srp.parse_srp_a(value)
    except srp.SrpError as exc:
        raise InvalidParameterException(f"Invalid {name}: {exc}.") from exc


class SrpExchanges:
    """Starts exchanges (B and SECRET_BLOCK) and checks their claims. The big-integer work
    runs in worker threads: GMP releases the GIL, so several exchanges use several cores.
    `threads`: how many run at once (wiring gives one per core)."""

    def __init__(self, keyring: Keyring, clock: Clock, threads: anyio.CapacityLimiter) -> None:
        self._keyring = keyring
        self._clock = clock
        self._limiter = threads

    async def start(
        self,
        verifier: srp.Verifier,
        big_a: int,
        *,
        pool_id: str,
        client: AppClient,
        kind: str,
        sub: str,
        known: bool,
        user_id: str,
        realm: str,
        typed: str,
        device_key: str | None,
        nonce: str,
    ) -> tuple[srp.ServerChallenge, str]:
        """B for the client's A, and the SECRET_BLOCK (standard base64 with padding: pycognito
        decodes it so) that seals this exchange."""
        challenge = await anyio.to_thread.run_sync(
            srp.start, verifier, big_a, limiter=self._limiter
        )
        expires = self._clock.now() + timedelta(minutes=client.auth_session_validity_minutes)
        header = {
            "p": pool_id,
            "c": client.id,
            "k": kind,
            "u": sub,
            "e": 1 if known else 0,
            "i": user_id,
            "r": realm,
            "t": typed,
            "d": device_key,
            "n": nonce,
            # Whole milliseconds: a float's repr would vary the block's size from call to call.
            "x": int(expires.timestamp() * 1000),
        }
        head = json.dumps(header, separators=(",", ":")).encode()
        payload = len(head).to_bytes(2, "big") + head + challenge.to_bytes()
        sealed = self._keyring.seal(payload, PURPOSE)
        return challenge, base64.b64encode(sealed.encode("ascii")).decode("ascii")

    def open(
        self, secret_block: str | None, pool_id: str, client_id: str
    ) -> tuple[SrpState, bytes]:
        """The state of an exchange this server started for this pool and client, and the
        SECRET_BLOCK bytes the client signed. NotAuthorized for anything else or expired."""
        if not secret_block:
            raise InvalidParameterException(
                "Missing required parameter PASSWORD_CLAIM_SECRET_BLOCK"
            )
        try:
            raw = base64.b64decode(secret_block, validate=True)
            payload = self._keyring.open(raw.decode("ascii"), PURPOSE)
            size = int.from_bytes(payload[:2], "big")
            header: Any = json.loads(payload[2 : 2 + size])
            challenge = srp.ServerChallenge.from_bytes(payload[2 + size :])
            state = SrpState(
                pool_id=str(header["p"]),
                client_id=str(header["c"]),
                kind=str(header["k"]),
                sub=str(header["u"]),
                known=header["e"] == 1,
                user_id=str(header["i"]),
                realm=str(header["r"]),
                typed=str(header["t"]),
                device_key=None if header["d"] is None else str(header["d"]),
                nonce=str(header["n"]),
                expires=int(header["x"]) / 1000,
                challenge=challenge,
            )
        except (
            binascii.Error,
            ValueError,
            UnicodeDecodeError,
            SealError,
            KeyError,
            TypeError,
        ) as exc:
            raise NotAuthorizedException(INVALID_SESSION) from exc
        if (state.pool_id, state.client_id) != (pool_id, client_id):
            raise NotAuthorizedException(INVALID_SESSION)
        if state.expires <= self._clock.now().timestamp():
            raise NotAuthorizedException("Invalid session for the user, session is expired.")
        return state, raw

    async def check(
        self,
        verifier: srp.Verifier,
        state: SrpState,
        secret_block: bytes,
        timestamp: str | None,
        signature: str | None,
    ) -> bool:
        """Whether the client proved the password (or device secret) behind `verifier`."""
        if not timestamp or not signature:
            return False

        def check() -> bool:
            return srp.check_claim(
                verifier,
                state.challenge,
                realm=state.realm,
                user_id=state.user_id,
                secret_block=secret_block,
                timestamp=timestamp,
                signature_b64=signature,
                now=self._clock.now(),
            )

        return await anyio.to_thread.run_sync(check, limiter=self._limiter)
