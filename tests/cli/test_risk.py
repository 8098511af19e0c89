"""`mamori risk`: the risk engine's effective weights and windows, as TOML the file can take back
and as JSON; a bad entry is the start's ConfigError, exit 2."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

import pytest

from mamori.cli import main
from mamori.config import load_settings


@pytest.fixture(autouse=True)
def no_mamori_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("MAMORI_")]:
        monkeypatch.delenv(name)


def test_prints_the_effective_tuning_as_toml_the_file_takes_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "mamori.toml"
    config.write_text("[mamori.risk_weights]\nnew_device = 80\n")
    monkeypatch.setenv("MAMORI_RISK_WINDOW_MINUTES", "ip_users=120")
    assert main(["risk", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "new_device          = 80  # default 25\n" in out
    assert "ip_users      = 120  # default 60\n" in out
    assert "high                = 75\n" in out
    printed = tmp_path / "printed.toml"
    printed.write_text(out)
    assert tomllib.loads(out)["mamori"]["risk_weights"]["new_device"] == 80
    reread = load_settings({}, environ={}, config_file=printed)
    expected = load_settings(
        {}, environ={"MAMORI_RISK_WINDOW_MINUTES": "ip_users=120"}, config_file=config
    )
    assert reread.effective_risk_weights == expected.effective_risk_weights
    assert reread.effective_risk_windows == expected.effective_risk_windows


def test_json(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAMORI_RISK_WEIGHTS", '{"low": 10}')
    assert main(["risk", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["risk_weights"]["low"] == 10
    assert printed["risk_window_minutes"] == {
        "user_failures": 15,
        "ip_failures": 15,
        "ip_users": 60,
    }


def test_a_bad_entry_is_named(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAMORI_RISK_WEIGHTS", "medium=90")
    assert main(["risk"]) == 2
    assert "mamori: risk_weights: risk thresholds must be 0 < low <= medium <= high" in (
        capsys.readouterr().err
    )
