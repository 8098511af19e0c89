"""The auth-event log's operations: AdminListUserAuthEvents, AdminUpdateAuthEventFeedback,
UpdateAuthEventFeedback."""

from __future__ import annotations

from typing import Any

from mamori.api.aws.operations import Call, Params, Result, operation
from mamori.domain.security.auth_events import AuthEvent


def event_out(event: AuthEvent) -> dict[str, Any]:
    risk: dict[str, Any] = {
        "RiskDecision": event.risk.decision.value,
        "CompromisedCredentialsDetected": event.risk.compromised_credentials,
    }
    if event.risk.level is not None:
        risk["RiskLevel"] = event.risk.level.value
    ctx = event.context
    context = {
        name: value
        for name, value in (
            ("IpAddress", ctx.ip),
            ("DeviceName", ctx.device_name),
            ("Timezone", ctx.timezone),
            ("City", ctx.city),
            ("Country", ctx.country),
        )
        if value is not None
    }
    out: dict[str, Any] = {
        "EventId": event.id,
        "EventType": event.type.value,
        "CreationDate": event.created.timestamp(),
        "EventResponse": event.response.value,
        "EventRisk": risk,
        "ChallengeResponses": [
            {"ChallengeName": s.name.value, "ChallengeResponse": s.result.value}
            for s in event.steps
        ],
        "EventContextData": context,
    }
    if event.feedback is not None:
        out["EventFeedback"] = {
            "FeedbackValue": event.feedback.value.value,
            "Provider": event.feedback.provider.value,
            "FeedbackDate": event.feedback.date.timestamp(),
        }
    return out


@operation("AdminListUserAuthEvents")
async def admin_list_user_auth_events(call: Call, p: Params) -> Result:
    page = await call.services.auth_events.admin_list_user_auth_events(
        p["UserPoolId"], p["Username"], p.get("MaxResults"), p.get("NextToken")
    )
    out: Result = {"AuthEvents": [event_out(e) for e in page.items]}
    if page.next_token:
        out["NextToken"] = page.next_token
    return out


@operation("AdminUpdateAuthEventFeedback")
async def admin_update_auth_event_feedback(call: Call, p: Params) -> Result:
    await call.services.auth_events.admin_update_auth_event_feedback(
        p["UserPoolId"], p["Username"], p["EventId"], p["FeedbackValue"]
    )
    return {}


@operation("UpdateAuthEventFeedback")
async def update_auth_event_feedback(call: Call, p: Params) -> Result:
    await call.services.auth_events.update_auth_event_feedback(
        p["UserPoolId"], p["Username"], p["EventId"], p["FeedbackToken"], p["FeedbackValue"]
    )
    return {}
