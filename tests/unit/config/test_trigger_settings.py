"""The trigger settings: trigger_targets entries (an ARN to an HTTP URL or a Python target),
the HTTP targets' secret, the time limit, the Lambda endpoint, region and keys."""

from __future__ import annotations

import pytest

from mamori.config import ConfigError, load_settings, parse_trigger_target

ARN = "arn:aws:lambda:us-east-1:123456789012:function:hook"


def test_defaults() -> None:
    settings = load_settings({}, environ={})
    assert settings.trigger_targets == ()
    assert settings.trigger_timeout_seconds == 5
    assert settings.lambda_endpoint == settings.lambda_region == ""


def test_entries_name_http_and_python_targets() -> None:
    assert parse_trigger_target(f"{ARN}=https://hooks.example/pre?token=a=b") == (
        ARN,
        "http",
        "https://hooks.example/pre?token=a=b",
    )
    assert parse_trigger_target(f" {ARN} = python:myco.hooks:pre_sign_up ") == (
        ARN,
        "python",
        "myco.hooks:pre_sign_up",
    )
    assert parse_trigger_target(f"{ARN}=python:presignup") == (ARN, "python", "presignup")
    assert parse_trigger_target(f"{ARN}=python:pre-sign-up") == (ARN, "python", "pre-sign-up")


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        ("hook=https://hooks.example", "is not <function ARN>=<target>"),
        (f"{ARN}", "is not <function ARN>=<target>"),
        (f"{ARN}=ftp://hooks.example", "http\\(s\\) URL or python"),
        (f"{ARN}=python:my-co.hooks:f", "python:<module>:<function>"),
        (f"{ARN}=python:", "python:<module>:<function>"),
    ],
)
def test_malformed_entries_stop_the_start(entry: str, why: str) -> None:
    with pytest.raises(ConfigError, match=why):
        load_settings({"trigger_targets": entry}, environ={})


def test_entries_come_from_the_environment_comma_separated() -> None:
    other = ARN.replace("hook", "other")
    settings = load_settings(
        {},
        environ={
            "MAMORI_TRIGGER_TARGETS": f"{ARN}=python:a.b:c,{other}=http://127.0.0.1:1/x",
            "MAMORI_TRIGGER_HTTP_SECRET": "s" * 16,
        },
    )
    assert settings.trigger_targets == (f"{ARN}=python:a.b:c", f"{other}=http://127.0.0.1:1/x")


def test_an_arn_given_twice_is_refused() -> None:
    with pytest.raises(ConfigError, match="given twice"):
        load_settings({"trigger_targets": [f"{ARN}=python:a:b", f"{ARN}=python:c:d"]}, environ={})


def test_http_targets_need_the_secret() -> None:
    entry = f"{ARN}=https://hooks.example/x"
    with pytest.raises(ConfigError, match="trigger_http_secret"):
        load_settings({"trigger_targets": entry}, environ={})
    # Positive control: with the secret, the same entry is taken.
    load_settings({"trigger_targets": entry, "trigger_http_secret": "s" * 16}, environ={})


@pytest.mark.parametrize(
    ("setting", "value", "why"),
    [
        ("trigger_timeout_seconds", 0, "between 1 and 30"),
        ("trigger_timeout_seconds", 31, "between 1 and 30"),
        ("trigger_threads", 0, "between 1 and 1024"),
        ("lambda_endpoint", "lambda.local:9001", "http\\(s\\) URL"),
        ("lambda_region", "mars", "not an AWS region"),
        ("lambda_access_key_id", "AKID", "given together"),
        ("lambda_secret_access_key", "x", "given together"),
    ],
)
def test_bad_values_stop_the_start(setting: str, value: object, why: str) -> None:
    with pytest.raises(ConfigError, match=why):
        load_settings({setting: value}, environ={})


def test_secrets_stay_out_of_repr_and_errors() -> None:
    settings = load_settings(
        {
            "trigger_http_secret": "hidden-trigger-secret",
            "lambda_access_key_id": "AKIDHIDDEN",
            "lambda_secret_access_key": "hidden-lambda-secret",
        },
        environ={},
    )
    assert "hidden" not in repr(settings)
    with pytest.raises(ConfigError) as caught:
        load_settings({"trigger_http_secret": ["a", "list"]}, environ={})
    assert "(hidden)" in str(caught.value) and "list" not in str(caught.value)
