"""Assembles the trigger dispatcher for wiring.py: the `trigger_targets` routes (HTTP endpoints
signed with `trigger_http_secret`; Python callables loaded here, so a target that does not load
stops the start) and the Lambda transport for every other ARN."""

from __future__ import annotations

import ssl

import anyio

from mamori.adapters.delivery.registry import SenderConfigError
from mamori.adapters.delivery.webhook import signing_key
from mamori.adapters.http import OutboundHttp
from mamori.adapters.triggers.http import HttpFunctions
from mamori.adapters.triggers.lambda_invoke import InvokeConfig, LambdaInvoke
from mamori.adapters.triggers.python import Handler, PythonFunctions, TargetError, load
from mamori.config import ConfigError, Settings, parse_trigger_target
from mamori.services.triggers.dispatcher import Route, Triggers
from mamori.services.triggers.ports import TriggerTransport


def build_triggers(settings: Settings, http: OutboundHttp) -> Triggers:
    targets = [parse_trigger_target(entry) for entry in settings.trigger_targets]
    # Python functions by the ARN they serve (their context names it), each loaded once.
    loaded: dict[str, Handler] = {}
    functions: dict[str, Handler] = {}
    for arn, kind, target in targets:
        if kind == "python":
            if target not in loaded:
                try:
                    loaded[target] = load(target)
                except TargetError as exc:
                    raise ConfigError(f"trigger_targets: {exc}") from exc
            functions[arn] = loaded[target]
    transports: dict[str, TriggerTransport] = {
        "python": PythonFunctions(functions, anyio.CapacityLimiter(settings.trigger_threads))
    }
    if any(kind == "http" for _, kind, _ in targets):
        try:
            key = signing_key(settings.trigger_http_secret)
        except SenderConfigError as exc:
            raise ConfigError(str(exc).replace("webhook_secret", "trigger_http_secret")) from exc
        ca_file = settings.trigger_http_ca_file
        try:
            client = http.client(ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"trigger_http_ca_file: cannot load {ca_file}: {exc}") from exc
        transports["http"] = HttpFunctions(key, client)
    lambda_invoke = LambdaInvoke(
        InvokeConfig(
            settings.lambda_endpoint,
            settings.lambda_region,
            settings.region,
            settings.lambda_access_key_id,
            settings.lambda_secret_access_key,
        ),
        http.client(),
    )
    routes = {
        arn: Route(transports[kind], arn if kind == "python" else target, kind)
        for arn, kind, target in targets
    }
    return Triggers(routes, lambda_invoke, float(settings.trigger_timeout_seconds))
