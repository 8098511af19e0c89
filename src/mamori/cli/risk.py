"""`mamori risk`: print the risk engine's effective weights and windows (the defaults with the
settings' `risk_weights` and `risk_window_minutes` applied), as TOML or JSON."""

from __future__ import annotations

import dataclasses
import json

from mamori.config import Settings
from mamori.domain.security.risk import DEFAULT_WEIGHTS, SignalWindows


def _minutes(windows: SignalWindows) -> dict[str, int]:
    return {
        f.name: int(getattr(windows, f.name).total_seconds() // 60)
        for f in dataclasses.fields(windows)
    }


def risk(settings: Settings, as_json: bool) -> int:
    weights = dataclasses.asdict(settings.effective_risk_weights)
    windows = _minutes(settings.effective_risk_windows)
    if as_json:
        print(json.dumps({"risk_weights": weights, "risk_window_minutes": windows}, indent=2))
        return 0
    defaults = (dataclasses.asdict(DEFAULT_WEIGHTS), _minutes(SignalWindows()))
    print("# The risk engine's effective tuning (docs/threat-protection.md, Tuning).")
    for table, values, default in (
        ("risk_weights", weights, defaults[0]),
        ("risk_window_minutes", windows, defaults[1]),
    ):
        print(f"\n[mamori.{table}]")
        width = max(len(name) for name in values)
        for name, value in values.items():
            changed = f"  # default {default[name]}" if value != default[name] else ""
            print(f"{name.ljust(width)} = {value}{changed}")
    return 0
