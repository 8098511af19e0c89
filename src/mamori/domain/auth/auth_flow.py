"""The sign-in state machine: which flows each entry point takes, what follows a proven step.

`next_step` is the one place that decides what a sign-in asks next. It takes a `Situation`
(what the user has proven so far, its status, its MFA state, the device it signs in from and
the pool's device setting) and returns a `Next`: a challenge, or tokens. docs/flows/sign-in.md
draws it; keep the two together.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from mamori.domain.auth.mfa import MfaState
from mamori.domain.errors import InvalidParameterException
from mamori.domain.userpools.mfa_settings import MfaFactor
from mamori.domain.users.user import UserStatus


class AuthFlow(StrEnum):
    USER_PASSWORD_AUTH = "USER_PASSWORD_AUTH"
    ADMIN_USER_PASSWORD_AUTH = "ADMIN_USER_PASSWORD_AUTH"
    ADMIN_NO_SRP_AUTH = "ADMIN_NO_SRP_AUTH"
    REFRESH_TOKEN_AUTH = "REFRESH_TOKEN_AUTH"
    REFRESH_TOKEN = "REFRESH_TOKEN"
    USER_SRP_AUTH = "USER_SRP_AUTH"
    CUSTOM_AUTH = "CUSTOM_AUTH"
    USER_AUTH = "USER_AUTH"


class Entry(StrEnum):
    """The operation a sign-in starts with."""

    INITIATE_AUTH = "InitiateAuth"
    ADMIN_INITIATE_AUTH = "AdminInitiateAuth"


# Cognito: the model's AuthFlowType enum is shared by both operations, but each accepts only
# some of it; the rest fail with InvalidParameterException "Initiate Auth method not supported."
# (USER_PASSWORD_AUTH only on InitiateAuth, the ADMIN_* flows only on AdminInitiateAuth).
FLOWS_BY_ENTRY: dict[Entry, frozenset[AuthFlow]] = {
    Entry.INITIATE_AUTH: frozenset(
        {
            AuthFlow.USER_PASSWORD_AUTH,
            AuthFlow.USER_SRP_AUTH,
            AuthFlow.REFRESH_TOKEN_AUTH,
            AuthFlow.REFRESH_TOKEN,
            AuthFlow.CUSTOM_AUTH,
            AuthFlow.USER_AUTH,
        }
    ),
    Entry.ADMIN_INITIATE_AUTH: frozenset(
        {
            AuthFlow.ADMIN_USER_PASSWORD_AUTH,
            AuthFlow.ADMIN_NO_SRP_AUTH,
            AuthFlow.USER_SRP_AUTH,
            AuthFlow.REFRESH_TOKEN_AUTH,
            AuthFlow.REFRESH_TOKEN,
            AuthFlow.CUSTOM_AUTH,
            AuthFlow.USER_AUTH,
        }
    ),
}

# The client setting (ExplicitAuthFlows) each flow needs.
REQUIRED_CLIENT_FLOW: dict[AuthFlow, str] = {
    AuthFlow.USER_PASSWORD_AUTH: "ALLOW_USER_PASSWORD_AUTH",
    AuthFlow.ADMIN_USER_PASSWORD_AUTH: "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    AuthFlow.ADMIN_NO_SRP_AUTH: "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    AuthFlow.REFRESH_TOKEN_AUTH: "ALLOW_REFRESH_TOKEN_AUTH",
    AuthFlow.REFRESH_TOKEN: "ALLOW_REFRESH_TOKEN_AUTH",
    AuthFlow.USER_SRP_AUTH: "ALLOW_USER_SRP_AUTH",
    AuthFlow.CUSTOM_AUTH: "ALLOW_CUSTOM_AUTH",
    AuthFlow.USER_AUTH: "ALLOW_USER_AUTH",
}

PASSWORD_FLOWS = frozenset(
    {AuthFlow.USER_PASSWORD_AUTH, AuthFlow.ADMIN_USER_PASSWORD_AUTH, AuthFlow.ADMIN_NO_SRP_AUTH}
)
REFRESH_FLOWS = frozenset({AuthFlow.REFRESH_TOKEN_AUTH, AuthFlow.REFRESH_TOKEN})


class Challenge(StrEnum):
    """The challenges mamori sends and answers (ChallengeNameType)."""

    NEW_PASSWORD_REQUIRED = "NEW_PASSWORD_REQUIRED"
    PASSWORD_VERIFIER = "PASSWORD_VERIFIER"
    SMS_MFA = "SMS_MFA"
    SOFTWARE_TOKEN_MFA = "SOFTWARE_TOKEN_MFA"
    EMAIL_OTP = "EMAIL_OTP"
    MFA_SETUP = "MFA_SETUP"
    SELECT_MFA_TYPE = "SELECT_MFA_TYPE"
    DEVICE_SRP_AUTH = "DEVICE_SRP_AUTH"
    DEVICE_PASSWORD_VERIFIER = "DEVICE_PASSWORD_VERIFIER"
    SELECT_CHALLENGE = "SELECT_CHALLENGE"
    SMS_OTP = "SMS_OTP"
    CUSTOM_CHALLENGE = "CUSTOM_CHALLENGE"


MFA_CHALLENGES: dict[MfaFactor, Challenge] = {
    MfaFactor.SMS_MFA: Challenge.SMS_MFA,
    MfaFactor.SOFTWARE_TOKEN_MFA: Challenge.SOFTWARE_TOKEN_MFA,
    MfaFactor.EMAIL_OTP: Challenge.EMAIL_OTP,
}


class FirstFactor(StrEnum):
    """USER_AUTH's first factors, as PREFERRED_CHALLENGE, AvailableChallenges and the answer to
    SELECT_CHALLENGE name them."""

    PASSWORD = "PASSWORD"
    PASSWORD_SRP = "PASSWORD_SRP"
    EMAIL_OTP = "EMAIL_OTP"
    SMS_OTP = "SMS_OTP"


# AllowedFirstAuthFactors (the pool's Policies.SignInPolicy) -> the factors it turns on.
_FACTORS_OF_POLICY: dict[str, tuple[FirstFactor, ...]] = {
    "PASSWORD": (FirstFactor.PASSWORD, FirstFactor.PASSWORD_SRP),
    "EMAIL_OTP": (FirstFactor.EMAIL_OTP,),
    "SMS_OTP": (FirstFactor.SMS_OTP,),
}


def first_factors(
    allowed: Iterable[str], *, email_verified: bool, phone_verified: bool, mfa_required: bool
) -> tuple[FirstFactor, ...]:
    """The first factors a USER_AUTH sign-in offers a user, in AvailableChallenges order.

    Passwordless factors need a verified address to send the code to, and are not offered
    where MFA is required (a one-time code is then not enough to sign in).
    """
    offered: list[FirstFactor] = []
    for name in allowed:
        for factor in _FACTORS_OF_POLICY.get(name, ()):
            if factor in offered:
                continue
            if factor is FirstFactor.EMAIL_OTP and (not email_verified or mfa_required):
                continue
            if factor is FirstFactor.SMS_OTP and (not phone_verified or mfa_required):
                continue
            offered.append(factor)
    return tuple(offered)


class Proof(StrEnum):
    """What a sign-in has proven so far."""

    PASSWORD = "PASSWORD"  # the password, in clear or by SRP (a first factor)
    OTP = "OTP"  # a one-time code sent by USER_AUTH's EMAIL_OTP / SMS_OTP (a first factor)
    NEW_PASSWORD = "NEW_PASSWORD"  # NEW_PASSWORD_REQUIRED answered
    MFA = "MFA"  # an MFA code, or MFA_SETUP completed
    DEVICE = "DEVICE"  # the device's own SRP secret (DEVICE_PASSWORD_VERIFIER)
    # CUSTOM_AUTH's challenges, once DefineAuthChallenge answered issueTokens (a first factor).
    CUSTOM = "CUSTOM"


FIRST_FACTORS = frozenset({Proof.PASSWORD, Proof.OTP, Proof.CUSTOM})


class DeviceState(StrEnum):
    """The device a sign-in names with DEVICE_KEY, as far as the user's records go."""

    NONE = "NONE"  # no DEVICE_KEY given
    CONFIRMED = "CONFIRMED"  # a confirmed device of this user, not remembered
    REMEMBERED = "REMEMBERED"  # a confirmed device of this user, remembered


def flow_of(name: str, entry: Entry) -> AuthFlow:
    """The AuthFlow `name` names, if `entry` takes it."""
    try:
        flow = AuthFlow(name)
    except ValueError:
        flow = None
    if flow is None or flow not in FLOWS_BY_ENTRY[entry]:
        # Cognito: one message for an unknown flow and a flow of the other entry point.
        raise InvalidParameterException("Initiate Auth method not supported.")
    return flow


@dataclass(frozen=True)
class Situation:
    """Everything `next_step` decides on."""

    status: UserStatus
    proven: frozenset[Proof]
    mfa: MfaState
    device: DeviceState = DeviceState.NONE
    # The pool's DeviceConfiguration: None when it tracks no devices, else whether
    # ChallengeRequiredOnNewDevice is on (a remembered device then stands in for MFA).
    device_tracking: bool = False
    remembered_skips_mfa: bool = False
    # SELECT_MFA_TYPE's answer, once given.
    selected: MfaFactor | None = None
    # Threat protection asked for MFA (MFA_IF_CONFIGURED / MFA_REQUIRED at the sign-in's risk
    # level, ENFORCED): `mfa` then holds the factors the user can receive, and a remembered
    # device does not stand in for them.
    risk_mfa: bool = False


@dataclass(frozen=True)
class Next:
    """A challenge to send, or `None`: issue tokens (with NewDeviceMetadata when `new_device`)."""

    challenge: Challenge | None
    new_device: bool = False
    # For SELECT_MFA_TYPE and MFA_SETUP: the factors to offer (MFAS_CAN_CHOOSE / _SETUP).
    factors: tuple[MfaFactor, ...] = field(default=())


class FlowError(ValueError):
    """`next_step` was asked about a sign-in that has proven no first factor (a bug)."""


def next_step(s: Situation) -> Next:
    """What follows what the user has proven.

    1. A temporary password (FORCE_CHANGE_PASSWORD) must be replaced first:
       NEW_PASSWORD_REQUIRED.
    2. MFA, unless already answered, or the first factor was a one-time code or custom
       challenges without the password (CUSTOM_AUTH without SRP_A), or the device
       is remembered and the pool lets remembered devices stand in for MFA (not when threat
       protection asked for it: `risk_mfa`):
       MFA_SETUP when MFA is required and the user has no factor; the factor chosen with
       SELECT_MFA_TYPE; the preferred or only factor; SELECT_MFA_TYPE when several.
    3. The device's SRP proof (DEVICE_SRP_AUTH) when DEVICE_KEY named a confirmed device of
       the user and no MFA code was asked for in this sign-in.
    4. Tokens; with NewDeviceMetadata when the pool tracks devices and none was named.
    """
    if not s.proven & FIRST_FACTORS:
        raise FlowError("no first factor proven")
    if s.status is UserStatus.FORCE_CHANGE_PASSWORD and Proof.NEW_PASSWORD not in s.proven:
        return Next(Challenge.NEW_PASSWORD_REQUIRED)
    device_stands_in = (
        s.device is DeviceState.REMEMBERED and s.remembered_skips_mfa and not s.risk_mfa
    )
    # Cognito: a CUSTOM_AUTH sign-in gets MFA only when it verified the password (SRP_A,
    # PASSWORD_VERIFIER); the custom challenges alone are the application's whole proof.
    # Threat protection's MFA (`risk_mfa`) is asked after them all the same.
    custom_only = Proof.CUSTOM in s.proven and Proof.PASSWORD not in s.proven and not s.risk_mfa
    mfa_due = (
        Proof.MFA not in s.proven
        and Proof.OTP not in s.proven
        and not custom_only
        and not device_stands_in
        and (bool(s.mfa.factors) or s.mfa.setup_needed)
    )
    if mfa_due:
        if s.mfa.setup_needed:
            return Next(Challenge.MFA_SETUP, factors=s.mfa.can_set_up)
        if s.selected is not None and s.selected in s.mfa.factors:
            return Next(MFA_CHALLENGES[s.selected])
        factor = s.mfa.challenge
        if factor is not None:
            return Next(MFA_CHALLENGES[factor])
        return Next(Challenge.SELECT_MFA_TYPE, factors=s.mfa.factors)
    # Cognito: the clients answer DEVICE_SRP_AUTH after a password or SRP step; after an MFA
    # code amazon-cognito-identity-js answers it with the MFA step's spent Session, so the
    # device proof is asked only where no MFA code was.
    if (
        s.device is not DeviceState.NONE
        and Proof.DEVICE not in s.proven
        and Proof.MFA not in s.proven
    ):
        return Next(Challenge.DEVICE_SRP_AUTH)
    return Next(None, new_device=s.device_tracking and s.device is DeviceState.NONE)
