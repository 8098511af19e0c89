"""Threat protection's configuration: SetRiskConfiguration and DescribeRiskConfiguration."""

from __future__ import annotations

from mamori.api.aws.cognito_idp.wire.risk import risk_configuration_in, risk_configuration_out
from mamori.api.aws.operations import Call, Params, Result, operation


@operation("SetRiskConfiguration")
async def set_risk_configuration(call: Call, p: Params) -> Result:
    stored = await call.services.risk_config.set_risk_configuration(
        p["UserPoolId"], p.get("ClientId"), risk_configuration_in(p)
    )
    return {"RiskConfiguration": risk_configuration_out(stored, p["UserPoolId"], p.get("ClientId"))}


@operation("DescribeRiskConfiguration")
async def describe_risk_configuration(call: Call, p: Params) -> Result:
    stored = await call.services.risk_config.describe_risk_configuration(
        p["UserPoolId"], p.get("ClientId")
    )
    return {"RiskConfiguration": risk_configuration_out(stored, p["UserPoolId"], p.get("ClientId"))}
