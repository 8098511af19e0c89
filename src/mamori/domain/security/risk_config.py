"""Threat protection's risk configuration (SetRiskConfiguration): typed values and their rules.

Three configurations, each optional, for a pool or one of its app clients (a client's own
configuration replaces the pool's whole, it is not merged), and `EffectiveRisk`: the pool's
AdvancedSecurityMode with the configuration that applies to a request, which the risk engine,
the compromised-credentials check and the auth-event log read.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from enum import StrEnum
from typing import Final

from mamori.domain.errors import InvalidParameterException
from mamori.domain.ids import ClientId, PoolId

# The model's bound on each IP range list (BlockedIPRangeListType / SkippedIPRangeListType).
MAX_RANGES: Final = 200

# Cognito: the placeholders of the adaptive-authentication notification templates. Templates
# are stored and described exactly as given; these are what a sender substitutes.
TEMPLATE_PLACEHOLDERS: Final = (
    "{username}",
    "{ip-address}",
    "{city}",
    "{country}",
    "{login-time}",
    "{device-name}",
    "{one-click-link-valid}",
    "{one-click-link-invalid}",
)


class SecurityMode(StrEnum):
    """UserPoolAddOns.AdvancedSecurityMode. A pool without add-ons is OFF."""

    OFF = "OFF"
    AUDIT = "AUDIT"
    ENFORCED = "ENFORCED"


class RiskEvent(StrEnum):
    """EventFilterType: the password submissions compromised-credentials detection checks."""

    SIGN_IN = "SIGN_IN"
    PASSWORD_CHANGE = "PASSWORD_CHANGE"
    SIGN_UP = "SIGN_UP"


class CompromisedAction(StrEnum):
    BLOCK = "BLOCK"
    NO_ACTION = "NO_ACTION"


class TakeoverEventAction(StrEnum):
    BLOCK = "BLOCK"
    MFA_IF_CONFIGURED = "MFA_IF_CONFIGURED"
    MFA_REQUIRED = "MFA_REQUIRED"
    NO_ACTION = "NO_ACTION"


class RiskLevel(StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


ALL_EVENTS: Final = frozenset(RiskEvent)


@dataclass(frozen=True)
class CompromisedCredentials:
    """CompromisedCredentialsRiskConfiguration. Cognito: EventFilter left out means every event."""

    events: frozenset[RiskEvent]
    action: CompromisedAction

    def applies_to(self, event: RiskEvent) -> bool:
        return event in self.events


@dataclass(frozen=True)
class NotifyEmail:
    """One notification template (NotifyEmailType), kept exactly as given."""

    subject: str
    html_body: str | None = None
    text_body: str | None = None


@dataclass(frozen=True)
class NotifyConfiguration:
    """Who account-takeover notifications come from, and their three templates."""

    source_arn: str
    from_address: str | None = None
    reply_to: str | None = None
    block_email: NotifyEmail | None = None
    no_action_email: NotifyEmail | None = None
    mfa_email: NotifyEmail | None = None

    def email_for(self, action: TakeoverEventAction) -> NotifyEmail | None:
        """The template a notification for `action` uses; None: the default text."""
        if action is TakeoverEventAction.BLOCK:
            return self.block_email
        if action is TakeoverEventAction.NO_ACTION:
            return self.no_action_email
        return self.mfa_email


@dataclass(frozen=True)
class TakeoverAction:
    """AccountTakeoverActionType: what a sign-in at one risk level gets."""

    notify: bool
    action: TakeoverEventAction


NO_TAKEOVER_ACTION: Final = TakeoverAction(notify=False, action=TakeoverEventAction.NO_ACTION)


@dataclass(frozen=True)
class AccountTakeover:
    """AccountTakeoverRiskConfiguration. A level without an action takes none."""

    notify: NotifyConfiguration | None = None
    low: TakeoverAction | None = None
    medium: TakeoverAction | None = None
    high: TakeoverAction | None = None

    def action_for(self, level: RiskLevel) -> TakeoverAction:
        configured = {RiskLevel.LOW: self.low, RiskLevel.MEDIUM: self.medium}.get(level, self.high)
        return configured or NO_TAKEOVER_ACTION


class RangeVerdict(StrEnum):
    BLOCKED = "BLOCKED"
    SKIPPED = "SKIPPED"


@dataclass(frozen=True)
class RiskExceptions:
    """RiskExceptionConfiguration: CIDR ranges as given (validated), checked before any scoring.

    A blocked range wins over a skipped one that also holds the address.
    """

    blocked: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()

    def verdict(self, ip: str | None) -> RangeVerdict | None:
        if not ip:
            return None
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return None
        if any(address in net for net in _networks(self.blocked)):
            return RangeVerdict.BLOCKED
        if any(address in net for net in _networks(self.skipped)):
            return RangeVerdict.SKIPPED
        return None


@dataclass(frozen=True)
class RiskConfiguration:
    """The three configurations of a pool or a client; all None is Cognito's default."""

    compromised: CompromisedCredentials | None = None
    takeover: AccountTakeover | None = None
    exceptions: RiskExceptions | None = None

    @property
    def is_empty(self) -> bool:
        return self.compromised is None and self.takeover is None and self.exceptions is None


EMPTY_CONFIGURATION: Final = RiskConfiguration()


@dataclass(frozen=True)
class StoredRiskConfiguration:
    """A configuration as stored for a pool (client_id None) or for one app client."""

    pool_id: PoolId
    client_id: ClientId | None
    configuration: RiskConfiguration
    last_modified: datetime


@dataclass(frozen=True)
class EffectiveRisk:
    """What applies to one request: the pool's mode and the client's (else the pool's) config.

    `custom_auth_mode` is AdvancedSecurityAdditionalFlows.CustomAuthMode (None: custom
    authentication flows are not covered).
    """

    mode: SecurityMode
    configuration: RiskConfiguration
    custom_auth_mode: SecurityMode | None = None

    @property
    def active(self) -> bool:
        """Threat protection looks at requests (AUDIT or ENFORCED): events are recorded."""
        return self.mode is not SecurityMode.OFF

    @property
    def enforced(self) -> bool:
        """Actions are carried out (ENFORCED); AUDIT only records what it would have done."""
        return self.mode is SecurityMode.ENFORCED


def security_mode(value: str | None) -> SecurityMode:
    """The pool's AdvancedSecurityMode as kept on the pool; unset is OFF."""
    return SecurityMode(value) if value else SecurityMode.OFF


def effective(
    mode: SecurityMode,
    pool: RiskConfiguration | None,
    client: RiskConfiguration | None,
    custom_auth_mode: SecurityMode | None = None,
) -> EffectiveRisk:
    """A client's own configuration replaces the pool's as a whole (Cognito: "the user pool
    configuration is overridden and the risk configuration for the client is used instead")."""
    chosen = client if client is not None else pool
    return EffectiveRisk(mode, chosen or EMPTY_CONFIGURATION, custom_auth_mode)


def compromised_credentials(events: Iterable[str] | None, action: str) -> CompromisedCredentials:
    """Cognito: EventFilter left out (or empty) means all three events."""
    chosen = frozenset(RiskEvent(e) for e in events or ())
    return CompromisedCredentials(chosen or ALL_EVENTS, CompromisedAction(action))


def check_ranges(member: str, ranges: Iterable[str]) -> tuple[str, ...]:
    """Each entry a valid IPv4 or IPv6 CIDR block; returned as given, in order.

    A bare address is a one-address range; host bits beyond the prefix are ignored when matching
    (`10.1.2.3/8` holds what `10.0.0.0/8` holds), as ip_network(strict=False) reads it.
    """
    kept = tuple(ranges)
    if len(kept) > MAX_RANGES:
        raise InvalidParameterException(
            f"{member} has {len(kept)} ranges; at most {MAX_RANGES} are allowed."
        )
    for entry in kept:
        try:
            ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:
            raise InvalidParameterException(
                f"{member} has an invalid IP range {entry!r}: expected an IPv4 or IPv6 CIDR "
                "block such as 192.0.2.0/24 or 2001:db8::/32."
            ) from None
        if entry != entry.strip():
            raise InvalidParameterException(
                f"{member} has an invalid IP range {entry!r}: remove the surrounding spaces."
            )
    return kept


def check_takeover(takeover: AccountTakeover) -> None:
    """Notifications need somewhere to come from: an action that notifies needs a
    NotifyConfiguration (its SourceArn names the sending identity)."""
    notifying = [level.name for level in RiskLevel if takeover.action_for(level).notify]
    if notifying and takeover.notify is None:
        raise InvalidParameterException(
            "AccountTakeoverRiskConfiguration.NotifyConfiguration is required when an action "
            f"has Notify true ({', '.join(sorted(notifying))})."
        )


def check_addresses(notify: NotifyConfiguration) -> None:
    """From and ReplyTo, when given, are email addresses (`Name <address>` or the address)."""
    for member, value in (("From", notify.from_address), ("ReplyTo", notify.reply_to)):
        if value is None:
            continue
        _name, address = parseaddr(value)
        local, at, domain = address.rpartition("@")
        if not at or not local or "." not in domain or domain.startswith("."):
            raise InvalidParameterException(
                f"NotifyConfiguration.{member} must be an email address, such as "
                f"no-reply@example.com or 'Example <no-reply@example.com>'; got {value!r}."
            )


def check_configuration(configuration: RiskConfiguration) -> None:
    """Every rule SetRiskConfiguration checks beyond botocore's model."""
    if configuration.exceptions is not None:
        check_ranges(
            "RiskExceptionConfiguration.BlockedIPRangeList", configuration.exceptions.blocked
        )
        check_ranges(
            "RiskExceptionConfiguration.SkippedIPRangeList", configuration.exceptions.skipped
        )
    if configuration.takeover is not None:
        check_takeover(configuration.takeover)
        if configuration.takeover.notify is not None:
            check_addresses(configuration.takeover.notify)


def _networks(ranges: tuple[str, ...]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(r, strict=False) for r in ranges]
