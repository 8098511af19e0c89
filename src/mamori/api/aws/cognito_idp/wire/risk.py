"""Risk configuration: SetRiskConfiguration's three configurations in, RiskConfigurationType out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mamori.api.aws.cognito_idp.wire.timestamps import ts
from mamori.domain.security.risk_config import (
    AccountTakeover,
    CompromisedCredentials,
    NotifyConfiguration,
    NotifyEmail,
    RiskConfiguration,
    RiskEvent,
    RiskExceptions,
    StoredRiskConfiguration,
    TakeoverAction,
    TakeoverEventAction,
    compromised_credentials,
)

# Cognito lists a filter of every event in this order (its CLI example's output).
_EVENT_ORDER = (RiskEvent.SIGN_IN, RiskEvent.SIGN_UP, RiskEvent.PASSWORD_CHANGE)
_LEVELS = (("low", "LowAction"), ("medium", "MediumAction"), ("high", "HighAction"))
_EMAILS = (
    ("block_email", "BlockEmail"),
    ("no_action_email", "NoActionEmail"),
    ("mfa_email", "MfaEmail"),
)


def _email_in(e: Mapping[str, Any] | None) -> NotifyEmail | None:
    if e is None:
        return None
    return NotifyEmail(e["Subject"], e.get("HtmlBody"), e.get("TextBody"))


def _action_in(a: Mapping[str, Any] | None) -> TakeoverAction | None:
    if a is None:
        return None
    return TakeoverAction(bool(a["Notify"]), TakeoverEventAction(a["EventAction"]))


def _takeover_in(t: Mapping[str, Any]) -> AccountTakeover:
    n = t.get("NotifyConfiguration")
    notify = None
    if n is not None:
        notify = NotifyConfiguration(
            source_arn=n["SourceArn"],
            from_address=n.get("From"),
            reply_to=n.get("ReplyTo"),
            **{field: _email_in(n.get(member)) for field, member in _EMAILS},
        )
    actions = t.get("Actions") or {}
    return AccountTakeover(
        notify, **{field: _action_in(actions.get(member)) for field, member in _LEVELS}
    )


def risk_configuration_in(p: Mapping[str, Any]) -> RiskConfiguration:
    """The request's configurations; a member left out or null is not configured."""
    c = p.get("CompromisedCredentialsRiskConfiguration")
    t = p.get("AccountTakeoverRiskConfiguration")
    e = p.get("RiskExceptionConfiguration")
    return RiskConfiguration(
        compromised=(
            compromised_credentials(c.get("EventFilter"), c["Actions"]["EventAction"])
            if c is not None
            else None
        ),
        takeover=_takeover_in(t) if t is not None else None,
        exceptions=(
            RiskExceptions(
                tuple(e.get("BlockedIPRangeList") or ()), tuple(e.get("SkippedIPRangeList") or ())
            )
            if e is not None
            else None
        ),
    )


def _email_out(e: NotifyEmail) -> dict[str, Any]:
    out: dict[str, Any] = {"Subject": e.subject}
    if e.html_body is not None:
        out["HtmlBody"] = e.html_body
    if e.text_body is not None:
        out["TextBody"] = e.text_body
    return out


def _compromised_out(c: CompromisedCredentials) -> dict[str, Any]:
    return {
        "EventFilter": [e.value for e in _EVENT_ORDER if e in c.events],
        "Actions": {"EventAction": c.action.value},
    }


def _takeover_out(t: AccountTakeover) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if t.notify is not None:
        n = t.notify
        notify: dict[str, Any] = {"SourceArn": n.source_arn}
        if n.from_address is not None:
            notify["From"] = n.from_address
        if n.reply_to is not None:
            notify["ReplyTo"] = n.reply_to
        for field, member in _EMAILS:
            email = getattr(n, field)
            if email is not None:
                notify[member] = _email_out(email)
        out["NotifyConfiguration"] = notify
    actions: dict[str, Any] = {}
    for field, member in _LEVELS:
        action = getattr(t, field)
        if action is not None:
            actions[member] = {"Notify": action.notify, "EventAction": action.action.value}
    out["Actions"] = actions
    return out


def _exceptions_out(e: RiskExceptions) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if e.blocked:
        out["BlockedIPRangeList"] = list(e.blocked)
    if e.skipped:
        out["SkippedIPRangeList"] = list(e.skipped)
    return out


def risk_configuration_out(
    stored: StoredRiskConfiguration | None, pool_id: str, client_id: str | None
) -> dict[str, Any]:
    """RiskConfigurationType. A client without its own configuration is answered with the
    pool's, under ClientId ALL (what it inherits); nothing configured: the ids alone."""
    if stored is None:
        out: dict[str, Any] = {"UserPoolId": pool_id}
        if client_id is not None:
            out["ClientId"] = "ALL"
        return out
    out = {"UserPoolId": stored.pool_id}
    if stored.client_id is not None:
        out["ClientId"] = stored.client_id
    elif client_id is not None:
        out["ClientId"] = "ALL"
    c = stored.configuration
    if c.compromised is not None:
        out["CompromisedCredentialsRiskConfiguration"] = _compromised_out(c.compromised)
    if c.takeover is not None:
        out["AccountTakeoverRiskConfiguration"] = _takeover_out(c.takeover)
    if c.exceptions is not None:
        out["RiskExceptionConfiguration"] = _exceptions_out(c.exceptions)
    if not c.is_empty:
        out["LastModifiedDate"] = ts(stored.last_modified)
    return out
