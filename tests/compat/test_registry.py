"""What mamori implements exists in AWS's own models: operations, error codes, raised errors."""

from __future__ import annotations

import ast
import functools
import inspect
import re
from pathlib import Path

import botocore.session
import pytest

import mamori
import mamori.api.aws.cognito_idp.register
import mamori.app
from mamori.api.aws.operations import IDENTITY, IDP, REGISTRY
from mamori.domain import errors
from mamori.domain.errors import COMMON_ERRORS, ServiceError

MODELS = {IDP: "cognito-idp", IDENTITY: "cognito-identity"}
SRC = Path(mamori.__file__).parent
ERROR_NAME = re.compile(r"[A-Z][A-Za-z0-9]*Exception")


@functools.cache
def model(service: str) -> botocore.model.ServiceModel:
    return botocore.session.get_session().get_service_model(service)


@functools.cache
def model_errors() -> frozenset[str]:
    return frozenset(s.name for service in MODELS.values() for s in model(service).error_shapes)


def allowed_errors() -> frozenset[str]:
    return model_errors() | COMMON_ERRORS


def error_classes() -> dict[str, type[ServiceError]]:
    return {
        name: cls
        for name, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, ServiceError) and cls is not ServiceError
    }


def test_the_registry_is_not_empty() -> None:
    assert len(REGISTRY) > 10
    assert {prefix for prefix, _ in REGISTRY} <= set(MODELS)


@pytest.mark.parametrize(
    ("prefix", "name"), sorted(REGISTRY), ids=[f"{p}.{n}" for p, n in sorted(REGISTRY)]
)
def test_registered_operation_exists_in_the_model(prefix: str, name: str) -> None:
    assert name in model(MODELS[prefix]).operation_names


def test_every_error_class_is_an_aws_error_code() -> None:
    unknown = sorted(set(error_classes()) - allowed_errors())
    assert not unknown, f"not in the Cognito models nor COMMON_ERRORS: {unknown}"


def test_common_errors_are_real_classes_outside_the_models() -> None:
    classes = error_classes()
    assert set(classes) >= COMMON_ERRORS, sorted(COMMON_ERRORS - set(classes))
    # A name the models do define belongs to them, with their meaning: not "common".
    assert not COMMON_ERRORS & model_errors()


def test_error_statuses_are_http_error_statuses() -> None:
    for name, cls in error_classes().items():
        assert 400 <= cls.status < 600, name
        assert cls().code == name


def _error_names_in(path: Path) -> list[tuple[int, str]]:
    """(line, name) of every raised `...Exception`, and in protocols/ of every error-code string.

    protocols/ (sigv4, shapes) is pure and cannot import the error classes: it names the code as
    a string, which dispatch resolves with getattr(errors, code). Elsewhere such strings may be
    other services' codes (STS's, for instance) that mamori reads, not raises.
    """
    codes_as_strings = path.parent.name == "protocols"
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            name = (
                target.id
                if isinstance(target, ast.Name)
                else target.attr
                if isinstance(target, ast.Attribute)
                else ""
            )
            if name.endswith("Exception"):
                found.append((node.lineno, name))
        if (
            codes_as_strings
            and isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and ERROR_NAME.fullmatch(node.value)
        ):
            found.append((node.lineno, node.value))
    return found


# Libraries shipped beside the server, for backends and Lambda functions: they answer their own
# callers (a web framework's HTTPException, a Lambda's error), never Cognito's wire.
BESIDE_THE_SERVER = ("verify", "contrib")


def _server_sources() -> list[Path]:
    return [
        path
        for path in sorted(SRC.rglob("*.py"))
        if path.relative_to(SRC).parts[0] not in BESIDE_THE_SERVER
    ]


def test_every_raised_error_is_known_to_aws() -> None:
    allowed = allowed_errors()
    classes = set(error_classes())
    problems = [
        f"{path.relative_to(SRC.parent)}:{line}: {name}"
        for path in _server_sources()
        for line, name in _error_names_in(path)
        if name not in allowed or name not in classes
    ]
    assert not problems, "errors that are not AWS error classes:\n" + "\n".join(problems)


def test_the_static_scan_sees_raises() -> None:
    """Guards the scan above against silently finding nothing."""
    names = {name for path in SRC.rglob("*.py") for _, name in _error_names_in(path)}
    assert {"InvalidParameterException", "UserNotFoundException"} <= names
    assert {"SerializationException", "InvalidSignatureException"} <= names
