"""The dispatcher as wiring builds it from the settings: each trigger_targets entry runs where
it says (a Python function in this process, an HTTP endpoint), every other ARN goes to the
Lambda endpoint; a target that does not load, or a secret too short to sign with, stops the
start."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support import trigger_functions
from tests.support.entities import pool_value
from tests.support.lambda_stand_in import LambdaStandIn
from tests.support.tls import Authority
from tests.support.trigger_endpoint import SECRET, TriggerEndpoint
from tests.support.triggers import MODULE, TriggerScript, arn

from mamori.adapters.http import OutboundHttp
from mamori.composition.triggers import build_triggers
from mamori.config import ConfigError, load_settings
from mamori.domain.errors import UnexpectedLambdaException
from mamori.domain.triggers import TriggerName, trigger_event
from mamori.domain.userpools.settings import LambdaConfig


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_each_arn_runs_where_the_settings_send_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = TriggerScript(tmp_path)
    monkeypatch.setenv(trigger_functions.ENV, str(script.directory))
    handlers = {"on-lambda": trigger_functions.post_confirmation}
    with TriggerEndpoint() as endpoint, LambdaStandIn(handlers) as stand_in:
        settings = load_settings(
            {
                "trigger_targets": [
                    f"{arn('pre_sign_up')}=python:{MODULE}:pre_sign_up",
                    f"{arn('custom_message')}={endpoint.target('custom_message')}",
                ],
                "trigger_http_secret": SECRET,
                "trigger_timeout_seconds": 2,
            },
            environ=stand_in.env(),
        )
        http = OutboundHttp()
        try:
            triggers = build_triggers(settings, http)
            pool = pool_value(
                lambda_config=LambdaConfig(
                    pre_sign_up=arn("pre_sign_up"),
                    custom_message=arn("custom_message"),
                    post_confirmation="arn:aws:lambda:us-east-1:123456789012:function:on-lambda",
                )
            )
            for name in (
                TriggerName.PRE_SIGN_UP,
                TriggerName.CUSTOM_MESSAGE,
                TriggerName.POST_CONFIRMATION,
            ):
                event = trigger_event(name, f"{name}_Test", pool.id, "us-east-1", "u", None, {})
                assert await triggers.invoke(pool, name, event) == event
        finally:
            await http.aclose()
        assert [c["function"] for c in script.calls()] == [
            "pre_sign_up",
            "custom_message",
            "post_confirmation",
        ]
        assert [r.path for r in endpoint.received] == ["/custom_message"]
        assert [c.function for c in stand_in.calls()] == ["on-lambda"]


def test_a_python_target_that_does_not_load_stops_the_start() -> None:
    settings = load_settings(
        {"trigger_targets": f"{arn('x')}=python:{MODULE}:no_such_function"}, environ={}
    )
    with pytest.raises(ConfigError, match=r"trigger_targets: .* has no no_such_function"):
        build_triggers(settings, OutboundHttp())


def test_a_secret_too_short_to_sign_with_stops_the_start() -> None:
    entry = f"{arn('x')}=https://hooks.example/x"
    settings = load_settings({"trigger_targets": entry, "trigger_http_secret": "short"}, {})
    with pytest.raises(ConfigError, match="trigger_http_secret must be at least 16 bytes"):
        build_triggers(settings, OutboundHttp())


@pytest.mark.anyio
async def test_https_targets_trust_trigger_http_ca_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(trigger_functions.ENV, str(TriggerScript(tmp_path).directory))
    authority = Authority.create(tmp_path, "trigger test CA")
    with TriggerEndpoint(tls=authority.server_context(tmp_path)) as endpoint:
        entry = f"{arn('pre_sign_up')}={endpoint.target('pre_sign_up')}"
        pool = pool_value(lambda_config=LambdaConfig(pre_sign_up=arn("pre_sign_up")))
        event = trigger_event(
            TriggerName.PRE_SIGN_UP, "PreSignUp_SignUp", pool.id, "us-east-1", "u", None, {}
        )
        for ca_file, trusted in (("", False), (str(authority.cert_path), True)):
            settings = load_settings(
                {
                    "trigger_targets": entry,
                    "trigger_http_secret": SECRET,
                    "trigger_http_ca_file": ca_file,
                },
                environ={},
            )
            http = OutboundHttp()
            try:
                triggers = build_triggers(settings, http)
                if trusted:
                    assert await triggers.invoke(pool, TriggerName.PRE_SIGN_UP, event) == event
                else:
                    # The system's authorities do not know the test CA: the TLS handshake fails.
                    with pytest.raises(UnexpectedLambdaException, match="ConnectError"):
                        await triggers.invoke(pool, TriggerName.PRE_SIGN_UP, event)
            finally:
                await http.aclose()
        assert [r.signed for r in endpoint.received] == [True]


def test_a_ca_file_that_does_not_load_stops_the_start(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "trigger_targets": f"{arn('x')}=https://hooks.example/x",
            "trigger_http_secret": SECRET,
            "trigger_http_ca_file": str(tmp_path / "absent.pem"),
        },
        {},
    )
    with pytest.raises(ConfigError, match="trigger_http_ca_file: cannot load"):
        build_triggers(settings, OutboundHttp())
