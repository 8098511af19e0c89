"""What a sign-in is asked: the typed request that starts one (InitiateAuth's AuthParameters)
and the typed answer to each challenge (RespondToAuthChallenge's responses).

The AWS wire translates its dictionaries into these (api/aws/cognito_idp/challenges.py); a
hosted login page builds them itself. `None` is a value the client did not give: the sign-in
core checks what each step needs, in the order it always has, and names the missing member in
Cognito's words ("Missing required parameter USERNAME").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from mamori.domain.auth.auth_flow import AuthFlow, Challenge

# The member each code challenge is answered with, as its "Missing required parameter" names it.
CODE_MEMBER = {
    Challenge.SMS_MFA: "SMS_MFA_CODE",
    Challenge.SOFTWARE_TOKEN_MFA: "SOFTWARE_TOKEN_MFA_CODE",
    Challenge.EMAIL_OTP: "EMAIL_OTP_CODE",
    Challenge.SMS_OTP: "SMS_OTP_CODE",
}


@dataclass(frozen=True)
class SignInRequest:
    """A sign-in to start with `flow`: USERNAME and PASSWORD (the password flows), USERNAME
    and SRP_A (USER_SRP_AUTH), USERNAME (CUSTOM_AUTH, with CHALLENGE_NAME and SRP_A to start
    with the password), REFRESH_TOKEN (the refresh flows), USERNAME and
    PREFERRED_CHALLENGE with its PASSWORD or SRP_A (USER_AUTH); SECRET_HASH and DEVICE_KEY
    with any of them."""

    flow: AuthFlow
    username: str | None = None
    password: str | None = None
    srp_a: str | None = None
    refresh_token: str | None = None
    secret_hash: str | None = None
    device_key: str | None = None
    # USER_AUTH's first factor as the client names it; checked against the factors the user
    # may choose ("Invalid PREFERRED_CHALLENGE: ...") only once the username is known given.
    preferred_challenge: str | None = None
    # CUSTOM_AUTH's CHALLENGE_NAME: SRP_A (with SRP_A) to verify the password first.
    challenge_name: str | None = None
    # ClientMetadata, for the triggers that take it.
    client_metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PasswordVerifierAnswer:
    """PASSWORD_VERIFIER: the SRP password claim for the exchange SECRET_BLOCK carries."""

    challenge: ClassVar[Challenge] = Challenge.PASSWORD_VERIFIER
    username: str | None = None
    secret_block: str | None = None
    signature: str | None = None
    timestamp: str | None = None
    secret_hash: str | None = None
    device_key: str | None = None
    # ClientMetadata: in a CUSTOM_AUTH sign-in, for the DefineAuthChallenge that follows.
    client_metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SelectChallengeAnswer:
    """SELECT_CHALLENGE: the first factor chosen, with its PASSWORD or SRP_A."""

    challenge: ClassVar[Challenge] = Challenge.SELECT_CHALLENGE
    username: str | None = None
    # A first factor's name (FirstFactor), checked against those offered.
    answer: str | None = None
    password: str | None = None
    srp_a: str | None = None
    secret_hash: str | None = None
    device_key: str | None = None


@dataclass(frozen=True)
class CodeAnswer:
    """SMS_MFA, SOFTWARE_TOKEN_MFA, EMAIL_OTP or SMS_OTP: the code sent or shown."""

    challenge: Challenge
    username: str | None = None
    code: str | None = None
    secret_hash: str | None = None


@dataclass(frozen=True)
class NewPasswordAnswer:
    """NEW_PASSWORD_REQUIRED: the new password, and attributes to fill in (by name)."""

    challenge: ClassVar[Challenge] = Challenge.NEW_PASSWORD_REQUIRED
    username: str | None = None
    new_password: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)
    secret_hash: str | None = None


@dataclass(frozen=True)
class SelectMfaTypeAnswer:
    """SELECT_MFA_TYPE: the MFA factor chosen (an MfaFactor's name, checked against those
    offered)."""

    challenge: ClassVar[Challenge] = Challenge.SELECT_MFA_TYPE
    username: str | None = None
    answer: str | None = None
    secret_hash: str | None = None


@dataclass(frozen=True)
class MfaSetupAnswer:
    """MFA_SETUP, answered with the Session VerifySoftwareToken returned."""

    challenge: ClassVar[Challenge] = Challenge.MFA_SETUP
    username: str | None = None
    secret_hash: str | None = None


@dataclass(frozen=True)
class DeviceSrpAnswer:
    """DEVICE_SRP_AUTH: the remembered device's key and its SRP_A."""

    challenge: ClassVar[Challenge] = Challenge.DEVICE_SRP_AUTH
    username: str | None = None
    device_key: str | None = None
    srp_a: str | None = None
    secret_hash: str | None = None


@dataclass(frozen=True)
class DevicePasswordVerifierAnswer:
    """DEVICE_PASSWORD_VERIFIER: the device's SRP claim for the exchange of this Session."""

    challenge: ClassVar[Challenge] = Challenge.DEVICE_PASSWORD_VERIFIER
    username: str | None = None
    secret_block: str | None = None
    signature: str | None = None
    timestamp: str | None = None
    secret_hash: str | None = None


@dataclass(frozen=True)
class CustomChallengeAnswer:
    """CUSTOM_CHALLENGE: the answer to CreateAuthChallenge's challenge, for
    VerifyAuthChallengeResponse (CUSTOM_AUTH)."""

    challenge: ClassVar[Challenge] = Challenge.CUSTOM_CHALLENGE
    username: str | None = None
    answer: str | None = None
    secret_hash: str | None = None
    client_metadata: Mapping[str, str] = field(default_factory=dict)


ChallengeAnswer = (
    PasswordVerifierAnswer
    | SelectChallengeAnswer
    | CodeAnswer
    | NewPasswordAnswer
    | SelectMfaTypeAnswer
    | MfaSetupAnswer
    | DeviceSrpAnswer
    | DevicePasswordVerifierAnswer
    | CustomChallengeAnswer
)
