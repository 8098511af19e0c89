"""The auth_domain setting: its default from public_url, and what it may hold."""

from __future__ import annotations

import pytest

from mamori.config import ConfigError, Settings
from mamori.config.validation import validate


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (Settings(), "auth.localhost"),  # http://127.0.0.1:9229
        (Settings(public_url="http://localhost:9229"), "auth.localhost"),
        (Settings(public_url="https://[::1]:8443"), "auth.localhost"),
        (Settings(public_url="http://dev.localhost"), "auth.localhost"),
        (Settings(public_url="https://ID.Example.com"), "auth.id.example.com"),
        (Settings(auth_domain="Login.Example.org."), "login.example.org"),
    ],
)
def test_effective_auth_domain(settings: Settings, expected: str) -> None:
    assert settings.effective_auth_domain == expected


@pytest.mark.parametrize(
    "value", ["https://auth.example.com", "auth.example.com:443", "localhost", "a/b.com", "a..b"]
)
def test_bad_auth_domain_is_refused(value: str) -> None:
    with pytest.raises(ConfigError, match="auth_domain"):
        validate(Settings(auth_domain=value))


def test_good_auth_domain_passes() -> None:
    validate(Settings(auth_domain="auth.example.com"))


def test_auth_domain_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from mamori.config.loading import load_settings

    monkeypatch.setenv("MAMORI_AUTH_DOMAIN", "login.example.org")
    assert load_settings({}, config_file=None).effective_auth_domain == "login.example.org"


def test_auth_domain_flag() -> None:
    from mamori.cli.arguments import parser, settings_from

    args = parser().parse_args(["serve", "--auth-domain", "login.example.net"])
    assert settings_from(args).effective_auth_domain == "login.example.net"
