"""Assembles the trigger dispatcher for wiring.py: the `trigger_targets` routes (Python callables
loaded here, so a target that does not load stops the start) and the Lambda transport."""

from __future__ import annotations

import anyio

from mamori.adapters.http import OutboundHttp
from mamori.adapters.triggers.python import Handler, PythonFunctions, TargetError, load
from mamori.config import ConfigError, Settings, parse_trigger_target
from mamori.services.triggers.dispatcher import Route, Triggers


def build_triggers(settings: Settings, http: OutboundHttp) -> Triggers:
    del http  # the HTTP and Lambda transports' client
    targets = [parse_trigger_target(entry) for entry in settings.trigger_targets]
    functions: dict[str, Handler] = {}
    for _, kind, target in targets:
        if kind == "python":
            try:
                functions[target] = load(target)
            except TargetError as exc:
                raise ConfigError(f"trigger_targets: {exc}") from exc
    python = PythonFunctions(functions, anyio.CapacityLimiter(settings.trigger_threads))
    routes = {arn: Route(python, target, kind) for arn, kind, target in targets if kind == "python"}
    return Triggers(routes, None, float(settings.trigger_timeout_seconds))
