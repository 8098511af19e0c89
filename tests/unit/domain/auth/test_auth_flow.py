"""The sign-in state machine: its names are the model's, and what follows each proven step,
checked over every combination of user status, MFA state, device and pool setting."""

from __future__ import annotations

import botocore.session
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mamori.domain.auth.auth_flow import (
    FIRST_FACTORS,
    MFA_CHALLENGES,
    REQUIRED_CLIENT_FLOW,
    AuthFlow,
    Challenge,
    DeviceState,
    FirstFactor,
    FlowError,
    Next,
    Proof,
    Situation,
    first_factors,
    next_step,
)
from mamori.domain.auth.mfa import MfaState
from mamori.domain.userpools.mfa_settings import FACTOR_ORDER, MfaConfiguration, MfaFactor
from mamori.domain.users.user import UserStatus

MODEL = botocore.session.get_session().get_service_model("cognito-idp")
SMS, TOTP, EMAIL = MfaFactor.SMS_MFA, MfaFactor.SOFTWARE_TOKEN_MFA, MfaFactor.EMAIL_OTP
NO_MFA = MfaState(MfaConfiguration.OFF, (), None, ())
PASSWORD = frozenset({Proof.PASSWORD})


def situation(**fields: object) -> Situation:
    values: dict[str, object] = {
        "status": UserStatus.CONFIRMED,
        "proven": PASSWORD,
        "mfa": NO_MFA,
    }
    values.update(fields)
    return Situation(**values)  # type: ignore[arg-type]


# --- names
def test_flows_and_challenges_are_the_models_names() -> None:
    assert {f.value for f in AuthFlow} <= set(MODEL.shape_for("AuthFlowType").enum)
    assert {c.value for c in Challenge} <= set(MODEL.shape_for("ChallengeNameType").enum)
    assert {f.value for f in FirstFactor} <= set(MODEL.shape_for("ChallengeNameType").enum)


def test_every_flow_names_the_client_setting_it_needs() -> None:
    explicit = set(MODEL.shape_for("ExplicitAuthFlowsType").enum)
    assert set(REQUIRED_CLIENT_FLOW) == set(AuthFlow)
    assert set(REQUIRED_CLIENT_FLOW.values()) <= explicit


# --- examples, one per edge of docs/flows/sign-in.md
def test_temporary_password_leads_to_new_password_required() -> None:
    got = next_step(situation(status=UserStatus.FORCE_CHANGE_PASSWORD))
    assert got == Next(Challenge.NEW_PASSWORD_REQUIRED)


def test_new_password_then_mfa() -> None:
    mfa = MfaState(MfaConfiguration.ON, (SMS,), None, (SMS,))
    got = next_step(
        situation(
            status=UserStatus.FORCE_CHANGE_PASSWORD,
            proven=PASSWORD | {Proof.NEW_PASSWORD},
            mfa=mfa,
        )
    )
    assert got == Next(Challenge.SMS_MFA)


@pytest.mark.parametrize("status", [UserStatus.CONFIRMED, UserStatus.EXTERNAL_PROVIDER])
def test_confirmed_password_leads_to_tokens(status: UserStatus) -> None:
    assert next_step(situation(status=status)) == Next(None)


def test_the_preferred_factor_is_challenged() -> None:
    mfa = MfaState(MfaConfiguration.OPTIONAL, (SMS, TOTP), TOTP, (SMS, TOTP))
    assert next_step(situation(mfa=mfa)) == Next(Challenge.SOFTWARE_TOKEN_MFA)


def test_several_factors_and_no_preference_ask_for_a_choice() -> None:
    mfa = MfaState(MfaConfiguration.OPTIONAL, (SMS, EMAIL), None, (SMS, EMAIL))
    assert next_step(situation(mfa=mfa)) == Next(Challenge.SELECT_MFA_TYPE, factors=(SMS, EMAIL))
    assert next_step(situation(mfa=mfa, selected=EMAIL)) == Next(Challenge.EMAIL_OTP)


def test_required_mfa_without_a_factor_asks_for_setup() -> None:
    mfa = MfaState(MfaConfiguration.ON, (), None, (SMS, TOTP))
    assert next_step(situation(mfa=mfa)) == Next(Challenge.MFA_SETUP, factors=(SMS, TOTP))
    assert next_step(situation(mfa=mfa, proven=PASSWORD | {Proof.MFA})) == Next(None)


def test_a_remembered_device_stands_in_for_mfa_when_the_pool_says_so() -> None:
    mfa = MfaState(MfaConfiguration.ON, (SMS,), None, (SMS,))
    remembered = situation(
        mfa=mfa, device=DeviceState.REMEMBERED, device_tracking=True, remembered_skips_mfa=True
    )
    assert next_step(remembered) == Next(Challenge.DEVICE_SRP_AUTH)
    proven = situation(
        mfa=mfa,
        device=DeviceState.REMEMBERED,
        device_tracking=True,
        remembered_skips_mfa=True,
        proven=PASSWORD | {Proof.DEVICE},
    )
    assert next_step(proven) == Next(None)
    # Not remembered, or the pool doesn't let devices stand in: the MFA code, then tokens.
    for device, skips in ((DeviceState.CONFIRMED, True), (DeviceState.REMEMBERED, False)):
        s = situation(mfa=mfa, device=device, device_tracking=True, remembered_skips_mfa=skips)
        assert next_step(s) == Next(Challenge.SMS_MFA)
        after = situation(
            mfa=mfa,
            device=device,
            device_tracking=True,
            remembered_skips_mfa=skips,
            proven=PASSWORD | {Proof.MFA},
        )
        assert next_step(after) == Next(None)


def test_new_devices_get_metadata_where_devices_are_tracked() -> None:
    assert next_step(situation(device_tracking=True)) == Next(None, new_device=True)
    assert next_step(situation(device_tracking=False)) == Next(None, new_device=False)


def test_one_time_code_first_factor_skips_mfa() -> None:
    mfa = MfaState(MfaConfiguration.OPTIONAL, (TOTP,), TOTP, (TOTP,))
    assert next_step(situation(mfa=mfa, proven=frozenset({Proof.OTP}))) == Next(None)


def test_custom_challenges_alone_skip_mfa() -> None:
    # Cognito: CUSTOM_AUTH without SRP_A never asks for MFA; the functions' challenges are
    # the whole proof.
    mfa = MfaState(MfaConfiguration.ON, (TOTP,), TOTP, (TOTP,))
    assert next_step(situation(mfa=mfa, proven=frozenset({Proof.CUSTOM}))) == Next(None)


def test_custom_challenges_after_the_password_get_mfa() -> None:
    mfa = MfaState(MfaConfiguration.ON, (TOTP,), TOTP, (TOTP,))
    proven = frozenset({Proof.PASSWORD, Proof.CUSTOM})
    assert next_step(situation(mfa=mfa, proven=proven)) == Next(Challenge.SOFTWARE_TOKEN_MFA)
    setup = MfaState(MfaConfiguration.ON, (), None, (TOTP,))
    assert next_step(situation(mfa=setup, proven=frozenset({Proof.CUSTOM}))) == Next(None)


def test_custom_challenges_still_need_a_new_password() -> None:
    proven = frozenset({Proof.CUSTOM})
    got = next_step(situation(status=UserStatus.FORCE_CHANGE_PASSWORD, proven=proven))
    assert got == Next(Challenge.NEW_PASSWORD_REQUIRED)


def test_no_first_factor_is_a_bug() -> None:
    with pytest.raises(FlowError):
        next_step(situation(proven=frozenset({Proof.MFA, Proof.DEVICE})))


# --- every combination
factors = st.lists(st.sampled_from(FACTOR_ORDER), unique=True).map(
    lambda fs: tuple(f for f in FACTOR_ORDER if f in fs)
)


@st.composite
def mfa_states(draw: st.DrawFn) -> MfaState:
    mode = draw(st.sampled_from(MfaConfiguration))
    have = draw(factors)
    preferred = draw(st.none() | st.sampled_from(have)) if have else None
    return MfaState(mode, have, preferred, draw(factors))


situations = st.builds(
    Situation,
    status=st.sampled_from(UserStatus),
    proven=st.frozensets(st.sampled_from(Proof)),
    mfa=mfa_states(),
    device=st.sampled_from(DeviceState),
    device_tracking=st.booleans(),
    remembered_skips_mfa=st.booleans(),
    selected=st.none() | st.sampled_from(MfaFactor),
)


def _mfa_due(s: Situation) -> bool:
    return bool(s.mfa.factors) or s.mfa.setup_needed


@given(situations)
def test_tokens_only_when_every_due_step_is_proven(s: Situation) -> None:
    if not s.proven & FIRST_FACTORS:
        with pytest.raises(FlowError):
            next_step(s)
        return
    got = next_step(s)
    if got.challenge is not None:
        assert got.new_device is False
        return
    if s.status is UserStatus.FORCE_CHANGE_PASSWORD:
        assert Proof.NEW_PASSWORD in s.proven
    if _mfa_due(s):
        stood_in = (
            s.device is DeviceState.REMEMBERED
            and s.remembered_skips_mfa
            and Proof.DEVICE in s.proven
        )
        custom_only = Proof.CUSTOM in s.proven and Proof.PASSWORD not in s.proven
        assert Proof.MFA in s.proven or Proof.OTP in s.proven or stood_in or custom_only
    if s.device is not DeviceState.NONE and Proof.MFA not in s.proven:
        assert Proof.DEVICE in s.proven
    assert got.new_device == (s.device_tracking and s.device is DeviceState.NONE)


@given(situations)
def test_each_challenge_is_one_the_situation_calls_for(s: Situation) -> None:
    if not s.proven & FIRST_FACTORS:
        return
    got = next_step(s)
    if got.challenge is Challenge.NEW_PASSWORD_REQUIRED:
        assert s.status is UserStatus.FORCE_CHANGE_PASSWORD
    elif got.challenge is Challenge.MFA_SETUP:
        assert s.mfa.setup_needed and got.factors == s.mfa.can_set_up
    elif got.challenge is Challenge.SELECT_MFA_TYPE:
        assert len(s.mfa.factors) > 1 and got.factors == s.mfa.factors
    elif got.challenge in set(MFA_CHALLENGES.values()):
        chosen = next(f for f, c in MFA_CHALLENGES.items() if c is got.challenge)
        assert chosen in s.mfa.factors
        assert chosen in (s.selected, s.mfa.preferred) or s.mfa.factors == (chosen,)
    elif got.challenge is Challenge.DEVICE_SRP_AUTH:
        assert s.device is not DeviceState.NONE
        assert Proof.DEVICE not in s.proven and Proof.MFA not in s.proven
    else:
        assert got.challenge is None


_PROOF_OF = {
    Challenge.NEW_PASSWORD_REQUIRED: Proof.NEW_PASSWORD,
    Challenge.MFA_SETUP: Proof.MFA,
    Challenge.SMS_MFA: Proof.MFA,
    Challenge.SOFTWARE_TOKEN_MFA: Proof.MFA,
    Challenge.EMAIL_OTP: Proof.MFA,
    Challenge.DEVICE_SRP_AUTH: Proof.DEVICE,
}


@given(situations, st.sampled_from(sorted(FIRST_FACTORS)))
def test_answering_every_challenge_ends_in_tokens(s: Situation, first: Proof) -> None:
    """A client that answers what it is asked gets tokens, each challenge asked at most once."""
    state = Situation(
        status=s.status,
        proven=frozenset({first}),
        mfa=s.mfa,
        device=s.device,
        device_tracking=s.device_tracking,
        remembered_skips_mfa=s.remembered_skips_mfa,
    )
    asked: list[Challenge] = []
    for _ in range(6):
        got = next_step(state)
        if got.challenge is None:
            break
        assert got.challenge not in asked, asked
        asked.append(got.challenge)
        if got.challenge is Challenge.SELECT_MFA_TYPE:
            state = Situation(**{**state.__dict__, "selected": got.factors[-1]})
            continue
        proof = _PROOF_OF[got.challenge]
        state = Situation(**{**state.__dict__, "proven": state.proven | {proof}})
    else:
        pytest.fail(f"no tokens after {asked}")


# --- USER_AUTH's first factors
def test_first_factors_follow_the_policy_and_the_users_addresses() -> None:
    both = {"email_verified": True, "phone_verified": True, "mfa_required": False}
    pw = (FirstFactor.PASSWORD, FirstFactor.PASSWORD_SRP)
    assert first_factors(["PASSWORD"], **both) == pw
    assert first_factors(["PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"], **both) == (
        *pw,
        FirstFactor.EMAIL_OTP,
        FirstFactor.SMS_OTP,
    )
    unverified = {"email_verified": False, "phone_verified": True, "mfa_required": False}
    assert first_factors(["EMAIL_OTP", "SMS_OTP"], **unverified) == (FirstFactor.SMS_OTP,)
    required = {"email_verified": True, "phone_verified": True, "mfa_required": True}
    assert first_factors(["PASSWORD", "EMAIL_OTP", "SMS_OTP"], **required) == pw


@given(
    st.lists(st.sampled_from(["PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN", "BOGUS"])),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
def test_first_factors_are_unique_and_allowed(
    allowed: list[str], email: bool, phone: bool, required: bool
) -> None:
    got = first_factors(allowed, email_verified=email, phone_verified=phone, mfa_required=required)
    assert len(set(got)) == len(got)
    for factor in got:
        policy = (
            "PASSWORD" if factor in (FirstFactor.PASSWORD, FirstFactor.PASSWORD_SRP) else factor
        )
        assert policy in allowed
    if FirstFactor.EMAIL_OTP in got:
        assert email and not required
    if FirstFactor.SMS_OTP in got:
        assert phone and not required


def test_threat_protections_mfa_is_not_skipped_by_a_remembered_device() -> None:
    # risk_mfa: the factors come from risk_mfa_state (the user can receive them, turned on or
    # not); the step is asked even where a remembered device would stand in for MFA.
    mfa = MfaState(MfaConfiguration.OPTIONAL, (TOTP,), None, (TOTP,))
    remembered = situation(
        mfa=mfa,
        device=DeviceState.REMEMBERED,
        device_tracking=True,
        remembered_skips_mfa=True,
        risk_mfa=True,
    )
    assert next_step(remembered) == Next(Challenge.SOFTWARE_TOKEN_MFA)
    answered = situation(mfa=mfa, risk_mfa=True, proven=PASSWORD | {Proof.MFA})
    assert next_step(answered) == Next(None)
