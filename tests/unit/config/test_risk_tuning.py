"""The risk engine's tuning settings, `risk_weights` and `risk_window_minutes`: the defaults
without them, entries from the TOML file (a table or a list), MAMORI_* (name=value entries or a
JSON object) and overrides, and a bad entry stopping the start with its name."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest

from mamori.config import ConfigError, load_settings
from mamori.domain.security.risk import DEFAULT_WEIGHTS, RiskWeights, SignalWindows


def test_the_defaults_without_settings() -> None:
    settings = load_settings({}, environ={})
    assert settings.effective_risk_weights == DEFAULT_WEIGHTS
    assert settings.effective_risk_windows == SignalWindows()


def test_a_toml_table_replaces_only_what_it_names(tmp_path: Path) -> None:
    config = tmp_path / "mamori.toml"
    config.write_text(
        "[mamori.risk_weights]\nnew_device = 80\nhigh = 70\n\n"
        "[mamori.risk_window_minutes]\nip_users = 120\n"
    )
    settings = load_settings({}, environ={}, config_file=config)
    assert settings.effective_risk_weights == dataclasses.replace(
        DEFAULT_WEIGHTS, new_device=80, high=70
    )
    assert settings.effective_risk_windows == SignalWindows(ip_users=timedelta(hours=2))


def test_a_toml_list_of_entries_is_read_too(tmp_path: Path) -> None:
    config = tmp_path / "mamori.toml"
    config.write_text('risk_weights = ["new_country=30", "low = 15"]\n')
    weights = load_settings({}, environ={}, config_file=config).effective_risk_weights
    assert (weights.new_country, weights.low) == (30, 15)


@pytest.mark.parametrize(
    "value", ["new_device=40, ip_user=10", '{"new_device": 40, "ip_user": 10}']
)
def test_the_environment_gives_entries_or_a_json_object(value: str) -> None:
    settings = load_settings({}, environ={"MAMORI_RISK_WEIGHTS": value})
    assert settings.risk_weights == ("new_device=40", "ip_user=10")
    weights = settings.effective_risk_weights
    assert (weights.new_device, weights.ip_user) == (40, 10)


def test_windows_from_the_environment_in_minutes() -> None:
    settings = load_settings(
        {}, environ={"MAMORI_RISK_WINDOW_MINUTES": "user_failures=30,ip_failures=5"}
    )
    assert settings.effective_risk_windows == SignalWindows(
        user_failures=timedelta(minutes=30), ip_failures=timedelta(minutes=5)
    )


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (["new_devise=40"], r"risk_weights: unknown risk weight 'new_devise' \(known: new_device,"),
        (["new_device=-5"], r"risk_weights: risk weights must not be negative: new_device"),
        (
            ["low=50"],
            r"risk_weights: risk thresholds must be 0 < low <= medium <= high "
            r"\(low 50, medium 45, high 75\)",
        ),
        (["low=0"], r"risk_weights: risk thresholds must be 0 < low"),
        (["valid_keeps_percent=150"], r"risk_weights: valid_keeps_percent is a percentage"),
        (["travel_max_kmh=0"], r"risk_weights: travel_max_kmh must be positive"),
        (["new_device=2.5"], r"risk_weights: new_device must be a whole number, got '2.5'"),
        (["new_device"], r"risk_weights entry 'new_device' is not <name>=<number>"),
        (["new_device=1", "new_device=2"], r"risk_weights: new_device is given twice"),
    ],
)
def test_a_bad_weight_stops_the_start_naming_it(entries: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({"risk_weights": entries}, environ={})


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (["ip_user=60"], r"risk_window_minutes: unknown risk window 'ip_user' \(known: "),
        (["ip_users=0"], r"risk_window_minutes: ip_users is a number of minutes from 1 to 10080"),
        (["user_failures=20000"], r"risk_window_minutes: user_failures is a number of minutes"),
        (["ip_users=1h"], r"risk_window_minutes: ip_users must be a whole number, got '1h'"),
    ],
)
def test_a_bad_window_stops_the_start_naming_it(entries: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({"risk_window_minutes": entries}, environ={})


def test_a_toml_value_that_is_not_a_whole_number_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "mamori.toml"
    config.write_text('[mamori.risk_weights]\nnew_device = true\nhigh = "70"\n')
    with pytest.raises(ConfigError, match="risk_weights: new_device must be a whole number"):
        load_settings({}, environ={}, config_file=config)


def test_a_malformed_json_object_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"setting risk_weights: .* is not a JSON object"):
        load_settings({}, environ={"MAMORI_RISK_WEIGHTS": '{"new_device": 40'})


def test_the_domain_constructors_name_what_they_refuse() -> None:
    assert RiskWeights.from_mapping({}) == DEFAULT_WEIGHTS
    with pytest.raises(ValueError, match="unknown risk weight 'x'"):
        RiskWeights.from_mapping({"x": 1})
    assert SignalWindows.from_minutes({"ip_users": 10}).ip_users == timedelta(minutes=10)
    with pytest.raises(ValueError, match="ip_users is a number of minutes"):
        SignalWindows.from_minutes({"ip_users": -1})
