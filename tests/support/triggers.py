"""Triggers for live-server tests: a pool's LambdaConfig names test ARNs, a server started with
`TriggerScript.env()` runs them in-process as tests/support/trigger_functions.py's functions,
and the test steers what each function does (`script`) and reads what it got (`events`) through
files, since the server is another process.

    script = TriggerScript(tmp_path)
    with run_server(tmp_path, extra_env=script.env()) as server:
        admin = server.admin()
        pool = admin.create_user_pool(PoolName="p", LambdaConfig=lambda_config(
            PreSignUp="pre_sign_up"))["UserPool"]
        script.set(pre_sign_up={"response": {"autoConfirmUser": True}})
        ... sign up ...
        assert script.events("pre_sign_up")[0]["triggerSource"] == "PreSignUp_SignUp"

The same functions run behind the Lambda stand-in (tests/support/lambda_stand_in.py) and can be
reached through HTTP the same way; see tests/adapters/triggers/.
"""

from __future__ import annotations

import inspect
import json
import os
from pathlib import Path
from typing import Any

from tests.support import trigger_functions
from tests.support.entities import pool_value

from mamori.domain.triggers import TriggerName, trigger_event
from mamori.domain.userpools.settings import LambdaConfig
from mamori.domain.userpools.user_pool import UserPool

REGION = "us-east-1"
ACCOUNT = "123456789012"
REPO = Path(__file__).resolve().parents[2]
MODULE = trigger_functions.__name__  # tests.support.trigger_functions
# LambdaConfig members that take {"LambdaVersion", "LambdaArn"} rather than an ARN.
VERSIONED = {
    "PreTokenGenerationConfig",
    "CustomEmailSender",
    "CustomSMSSender",
    "InboundFederation",
}
# UpdateUserPool members that DescribeUserPool returns under the same name (set_lambda_config
# sends them back, since UpdateUserPool resets whatever it is not given).
_KEPT_ON_UPDATE = (
    "AccountRecoverySetting",
    "AdminCreateUserConfig",
    "AutoVerifiedAttributes",
    "DeletionProtection",
    "DeviceConfiguration",
    "EmailConfiguration",
    "EmailVerificationMessage",
    "EmailVerificationSubject",
    "MfaConfiguration",
    "Policies",
    "SmsAuthenticationMessage",
    "SmsConfiguration",
    "SmsVerificationMessage",
    "UserAttributeUpdateSettings",
    "UserPoolAddOns",
    "UserPoolTags",
    "UserPoolTier",
    "VerificationMessageTemplate",
)


def function_names() -> list[str]:
    """Every public function of tests/support/trigger_functions.py."""
    return [
        name
        for name, value in vars(trigger_functions).items()
        if inspect.isfunction(value)
        and value.__module__ == MODULE
        and not name.startswith("_")
        and name != "scripted"
    ]


def arn(function: str, region: str = REGION) -> str:
    """The test ARN of a function of trigger_functions.py (`pre_sign_up` ->
    arn:aws:lambda:us-east-1:123456789012:function:mamori-test-pre-sign-up)."""
    return f"arn:aws:lambda:{region}:{ACCOUNT}:function:mamori-test-{function.replace('_', '-')}"


def lambda_config(version: str = "V1_0", **triggers: str) -> dict[str, Any]:
    """LambdaConfig for Create/UpdateUserPool: LambdaConfig member -> function name, e.g.
    lambda_config(PreSignUp="pre_sign_up", PreTokenGenerationConfig="pre_token_generation",
    version="V2_0"); `version` is the versioned members' LambdaVersion (KMSKeyID, when given,
    is passed as is)."""
    config: dict[str, Any] = {}
    for member, function in triggers.items():
        if member == "KMSKeyID":
            config[member] = function
        elif member in VERSIONED:
            config[member] = {"LambdaVersion": version, "LambdaArn": arn(function)}
        else:
            config[member] = arn(function)
    return config


def set_lambda_config(admin: Any, pool_id: str, config: dict[str, Any]) -> None:
    """UpdateUserPool with `config` as the LambdaConfig, every other setting kept."""
    pool = admin.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    kept = {name: pool[name] for name in _KEPT_ON_UPDATE if name in pool}
    if "AdminCreateUserConfig" in kept:
        # Describe echoes the deprecated UnusedAccountValidityDays, which Update refuses.
        kept["AdminCreateUserConfig"] = {
            k: v
            for k, v in kept["AdminCreateUserConfig"].items()
            if k != "UnusedAccountValidityDays"
        }
    admin.update_user_pool(UserPoolId=pool_id, LambdaConfig=config, **kept)


class TriggerScript:
    """The files a test and trigger_functions.py share: `script.json` (what each function
    does) and `events.jsonl` (every call: function, process id, event)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory / "triggers"
        self.directory.mkdir(parents=True, exist_ok=True)
        self.script_path = self.directory / "script.json"
        self.events_path = self.directory / "events.jsonl"

    def targets(self, functions: list[str] | None = None) -> str:
        """MAMORI_TRIGGER_TARGETS mapping each function's test ARN to it, in-process."""
        names = function_names() if functions is None else functions
        return ",".join(f"{arn(name)}=python:{MODULE}:{name}" for name in names)

    def env(self, functions: list[str] | None = None) -> dict[str, str]:
        """Server settings (run_server's extra_env) that run `functions` (all by default)
        in-process and let them find this script."""
        path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
        return {
            "MAMORI_TRIGGER_TARGETS": self.targets(functions),
            trigger_functions.ENV: str(self.directory),
            "PYTHONPATH": path,
        }

    def set(self, **steps: Any) -> None:
        """What functions do from now on: function name -> a step or a list of steps (see
        trigger_functions.py); functions not named keep their step."""
        script = self.script()
        script.update(steps)
        self.script_path.write_text(json.dumps(script))

    def script(self) -> dict[str, Any]:
        if not self.script_path.exists():
            return {}
        loaded: dict[str, Any] = json.loads(self.script_path.read_text())
        return loaded

    def reset(self) -> None:
        """Forget the script and the calls recorded so far."""
        self.script_path.unlink(missing_ok=True)
        self.events_path.unlink(missing_ok=True)

    def calls(self, function: str | None = None) -> list[dict[str, Any]]:
        """The calls recorded so far ({"function", "pid", "event"}), oldest first."""
        if not self.events_path.exists():
            return []
        out = [json.loads(line) for line in self.events_path.read_text().splitlines() if line]
        return [c for c in out if function is None or c["function"] == function]

    def events(self, function: str | None = None) -> list[dict[str, Any]]:
        """The events `function` (any, when None) received, oldest first."""
        return [call["event"] for call in self.calls(function)]


def pre_sign_up_pool(function: str = "pre_sign_up", region: str = REGION) -> UserPool:
    """A pool value (no server) whose PreSignUp is `function`'s test ARN."""
    return pool_value(lambda_config=LambdaConfig(pre_sign_up=arn(function, region)))


def sign_up_event(**request: Any) -> dict[str, Any]:
    """A PreSignUp_SignUp event as the sign-up sends it, `request` members added."""
    return trigger_event(
        TriggerName.PRE_SIGN_UP,
        "PreSignUp_SignUp",
        "us-east-1_abc",
        REGION,
        "alice",
        "client1",
        {"userAttributes": {"email": "alice@example.com"}, **request},
        {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
    )
