"""The risk configuration's rules: CIDR ranges (IPv4 and IPv6, Cognito's 200 per list), what a
range holds, notify addresses, Notify without a NotifyConfiguration, the event filter's default,
a client's configuration replacing the pool's, and what each mode means."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mamori.domain.errors import InvalidParameterException
from mamori.domain.security.risk_config import (
    ALL_EVENTS,
    MAX_RANGES,
    AccountTakeover,
    CompromisedAction,
    NotifyConfiguration,
    NotifyEmail,
    RangeVerdict,
    RiskConfiguration,
    RiskEvent,
    RiskExceptions,
    RiskLevel,
    SecurityMode,
    TakeoverAction,
    TakeoverEventAction,
    check_configuration,
    check_ranges,
    compromised_credentials,
    effective,
    security_mode,
)

ARN = "arn:aws:ses:us-east-1:111111111111:identity/example.com"


@pytest.mark.parametrize(
    "entry",
    ["10.0.0.0/8", "192.0.2.1/32", "192.0.2.1", "0.0.0.0/0", "2001:db8::/32", "::1/128", "::/0"],
)
def test_valid_ranges_are_kept_as_given(entry: str) -> None:
    assert check_ranges("BlockedIPRangeList", [entry]) == (entry,)


@pytest.mark.parametrize(
    "entry",
    ["10.0.0.0/33", "300.1.1.1/32", "10.0.0/8", "example.com", "", "2001:db8::/129", " 10.0.0.0/8"],
)
def test_invalid_ranges_name_the_list_and_the_entry(entry: str) -> None:
    with pytest.raises(InvalidParameterException) as raised:
        check_ranges("RiskExceptionConfiguration.SkippedIPRangeList", ["10.0.0.0/8", entry])
    assert "SkippedIPRangeList" in raised.value.message
    assert repr(entry) in raised.value.message


def test_at_most_200_ranges_per_list() -> None:
    ranges = [f"10.0.{n // 256}.{n % 256}/32" for n in range(MAX_RANGES + 1)]
    assert len(check_ranges("BlockedIPRangeList", ranges[:MAX_RANGES])) == MAX_RANGES
    with pytest.raises(InvalidParameterException, match="at most 200"):
        check_ranges("BlockedIPRangeList", ranges)


def test_a_blocked_range_wins_over_a_skipped_one() -> None:
    exceptions = RiskExceptions(blocked=("10.1.0.0/16",), skipped=("10.0.0.0/8", "2001:db8::/32"))
    assert exceptions.verdict("10.1.2.3") is RangeVerdict.BLOCKED
    assert exceptions.verdict("10.2.0.1") is RangeVerdict.SKIPPED
    assert exceptions.verdict("2001:db8::1") is RangeVerdict.SKIPPED
    assert exceptions.verdict("192.0.2.1") is None
    assert exceptions.verdict(None) is None
    assert exceptions.verdict("not an address") is None


def test_host_bits_and_bare_addresses() -> None:
    exceptions = RiskExceptions(blocked=("10.1.2.3/8", "192.0.2.7"))
    assert exceptions.verdict("10.200.0.1") is RangeVerdict.BLOCKED
    assert exceptions.verdict("192.0.2.7") is RangeVerdict.BLOCKED
    assert exceptions.verdict("192.0.2.8") is None


@given(st.ip_addresses(), st.integers(min_value=0, max_value=128))
def test_a_range_holds_exactly_the_addresses_of_its_network(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, prefix: int
) -> None:
    prefix = min(prefix, address.max_prefixlen)
    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    exceptions = RiskExceptions(blocked=(str(network),))
    assert exceptions.verdict(str(address)) is RangeVerdict.BLOCKED
    try:
        outside = network.broadcast_address + 1
    except ValueError:  # the network ends at the last address there is
        return
    assert exceptions.verdict(str(outside)) is None


def test_event_filter_left_out_or_empty_is_every_event() -> None:
    assert compromised_credentials(None, "BLOCK").events == ALL_EVENTS
    assert compromised_credentials([], "BLOCK").events == ALL_EVENTS
    chosen = compromised_credentials(["SIGN_UP"], "NO_ACTION")
    assert chosen.events == {RiskEvent.SIGN_UP}
    assert chosen.action is CompromisedAction.NO_ACTION
    assert chosen.applies_to(RiskEvent.SIGN_UP) and not chosen.applies_to(RiskEvent.SIGN_IN)


def test_notify_true_needs_a_notify_configuration() -> None:
    silent = AccountTakeover(high=TakeoverAction(False, TakeoverEventAction.BLOCK))
    check_configuration(RiskConfiguration(takeover=silent))
    loud = AccountTakeover(
        medium=TakeoverAction(True, TakeoverEventAction.MFA_REQUIRED),
        high=TakeoverAction(True, TakeoverEventAction.BLOCK),
    )
    with pytest.raises(InvalidParameterException, match=r"NotifyConfiguration.*HIGH, MEDIUM"):
        check_configuration(RiskConfiguration(takeover=loud))
    check_configuration(
        RiskConfiguration(
            takeover=AccountTakeover(NotifyConfiguration(ARN), loud.low, loud.medium, loud.high)
        )
    )


@pytest.mark.parametrize("value", ["no-reply@example.com", "Example <no-reply@example.com>"])
def test_from_and_reply_to_are_addresses(value: str) -> None:
    notify = NotifyConfiguration(ARN, from_address=value, reply_to=value)
    check_configuration(RiskConfiguration(takeover=AccountTakeover(notify)))


@pytest.mark.parametrize("value", ["no-reply", "@example.com", "a@b", "Example <>", ""])
def test_from_and_reply_to_that_are_not_addresses_are_refused(value: str) -> None:
    for notify, member in (
        (NotifyConfiguration(ARN, from_address=value), "From"),
        (NotifyConfiguration(ARN, reply_to=value), "ReplyTo"),
    ):
        with pytest.raises(InvalidParameterException, match=f"NotifyConfiguration.{member}"):
            check_configuration(RiskConfiguration(takeover=AccountTakeover(notify)))


def test_the_configured_ranges_are_checked() -> None:
    with pytest.raises(InvalidParameterException, match="BlockedIPRangeList"):
        check_configuration(RiskConfiguration(exceptions=RiskExceptions(blocked=("nope",))))


def test_a_level_without_an_action_takes_none() -> None:
    takeover = AccountTakeover(high=TakeoverAction(True, TakeoverEventAction.BLOCK))
    assert takeover.action_for(RiskLevel.HIGH).action is TakeoverEventAction.BLOCK
    for level in (RiskLevel.LOW, RiskLevel.MEDIUM):
        assert takeover.action_for(level) == TakeoverAction(False, TakeoverEventAction.NO_ACTION)


def test_notify_email_per_action() -> None:
    block, none, mfa = NotifyEmail("b"), NotifyEmail("n"), NotifyEmail("m")
    notify = NotifyConfiguration(ARN, block_email=block, no_action_email=none, mfa_email=mfa)
    assert notify.email_for(TakeoverEventAction.BLOCK) is block
    assert notify.email_for(TakeoverEventAction.NO_ACTION) is none
    assert notify.email_for(TakeoverEventAction.MFA_IF_CONFIGURED) is mfa
    assert notify.email_for(TakeoverEventAction.MFA_REQUIRED) is mfa


def test_a_client_configuration_replaces_the_pool_one_whole() -> None:
    pool = RiskConfiguration(exceptions=RiskExceptions(blocked=("10.0.0.0/8",)))
    client = RiskConfiguration(compromised=compromised_credentials(None, "BLOCK"))
    assert effective(SecurityMode.ENFORCED, pool, client).configuration == client
    assert effective(SecurityMode.ENFORCED, pool, None).configuration == pool
    assert effective(SecurityMode.AUDIT, None, None).configuration.is_empty


def test_modes() -> None:
    assert security_mode(None) is SecurityMode.OFF
    assert security_mode("AUDIT") is SecurityMode.AUDIT
    off, audit, enforced = (effective(m, None, None) for m in SecurityMode)
    assert not off.active and not off.enforced
    assert audit.active and not audit.enforced
    assert enforced.active and enforced.enforced
